namespace DistStack.Tests.Chaos;

/// <summary>One chaos run's knobs. Everything random in the run derives from <see cref="Seed"/>.</summary>
public sealed record ChaosOptions
{
    public int Seed { get; init; } = 1;

    /// <summary>How long faults are injected while clients run.</summary>
    public TimeSpan FaultDuration { get; init; } = TimeSpan.FromSeconds(75);

    public int Nodes { get; init; } = 5;
    public int Clients { get; init; } = 8;
    public int Stacks { get; init; } = 3;

    /// <summary>Per HTTP request; after it the attempt's outcome is unknown.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Attempts per logical op (same Idempotency-Key, so a retry cannot apply twice).</summary>
    public int AttemptsPerOp { get; init; } = 3;

    /// <summary>
    /// How long an op whose outcome is still unknown after its attempts keeps being retried (same key) for a definite
    /// answer. Faults are healed within seconds, so an op unresolved after this is a liveness failure of the cluster.
    /// </summary>
    public TimeSpan ResolveUnknownFor { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Pause between a client's ops (uniform in [0, this]): keeps the history checkable.</summary>
    public TimeSpan MaxThinkTime { get; init; } = TimeSpan.FromMilliseconds(40);

    /// <summary>Network namespaces and iptables for partitions: null = when root and ip/iptables are available.</summary>
    public bool? UseNetworkNamespaces { get; init; }

    /// <summary>
    /// Each node's journal in its own database of a PostgreSQL server started for the run (DISTSTACK_CHAOS_POSTGRES=1).
    /// Loopback mode only: nodes in network namespaces cannot reach a server on the host's 127.0.0.1.
    /// </summary>
    public bool Postgres { get; init; }

    /// <summary>Folder for this run's files (history, faults, node logs, verdict); default artifacts/chaos/&lt;time&gt;-seed&lt;S&gt;.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>How long the linearizability search may take in total before it reports Unknown.</summary>
    public TimeSpan CheckerTimeLimit { get; init; } = TimeSpan.FromMinutes(3);

    public long CheckerStepsPerStack { get; init; } = 100_000_000;

    /// <summary>Progress lines (e.g. an xunit output helper); they also go to the run's log file.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Reads DISTSTACK_CHAOS_SECONDS / _SEED / _NETNS / _POSTGRES / _DIR over the defaults.</summary>
    public ChaosOptions WithEnvironment()
    {
        var options = this;
        if (int.TryParse(Environment.GetEnvironmentVariable("DISTSTACK_CHAOS_SECONDS"), out var seconds) && seconds > 0)
        {
            options = options with { FaultDuration = TimeSpan.FromSeconds(seconds) };
        }

        if (int.TryParse(Environment.GetEnvironmentVariable("DISTSTACK_CHAOS_SEED"), out var seed))
        {
            options = options with { Seed = seed };
        }

        switch (Environment.GetEnvironmentVariable("DISTSTACK_CHAOS_NETNS"))
        {
            case "0" or "false" or "off":
                options = options with { UseNetworkNamespaces = false };
                break;
            case "1" or "true" or "on":
                options = options with { UseNetworkNamespaces = true };
                break;
        }

        if (Environment.GetEnvironmentVariable("DISTSTACK_CHAOS_POSTGRES") is "1" or "true" or "on")
        {
            options = options with { Postgres = true };
        }

        if (Environment.GetEnvironmentVariable("DISTSTACK_CHAOS_DIR") is { Length: > 0 } dir)
        {
            options = options with { RunDirectory = Path.Combine(dir, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-seed{options.Seed}") };
        }

        if (options.FaultDuration > TimeSpan.FromMinutes(5))
        {
            options = options with { CheckerTimeLimit = TimeSpan.FromMinutes(15) };
        }

        return options;
    }
}
