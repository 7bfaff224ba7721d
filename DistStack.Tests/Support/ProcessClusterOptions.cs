namespace DistStack.Tests.Support;

/// <summary>How a <see cref="ProcessCluster"/> starts its nodes. Every property has a sensible default.</summary>
public sealed record ProcessClusterOptions
{
    /// <summary>DistStack.Host.dll to run; default <see cref="NodeProcessBuildOutput.HostDll"/>.</summary>
    public string? HostDll { get; init; }

    /// <summary>Parent folder of every node's data dir and log; default a fresh folder under the system temp dir.</summary>
    public string? RootDirectory { get; init; }

    /// <summary>Extra flags for node i (1-based), after --id/--cluster/--port/--data-dir.</summary>
    public Func<int, IEnumerable<string>>? ExtraArguments { get; init; }

    /// <summary>Extra environment variables for every node (inherited DISTSTACK_* variables are removed first).</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// How many nodes found the cluster (default: all). Nodes 1..Founders get only the founders' URLs in --cluster;
    /// the others get every node's URL and --join, to be added at runtime (POST /{id} on the leader).
    /// </summary>
    public int? Founders { get; init; }

    /// <summary>Keep data dirs and logs after dispose (also forced by DISTSTACK_KEEP_TEST_DATA=1).</summary>
    public bool KeepData { get; init; }

    /// <summary>Where progress lines go (e.g. an xunit ITestOutputHelper); default nowhere.</summary>
    public Action<string>? Log { get; init; }
}
