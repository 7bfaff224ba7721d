using DistStack.Tests.Support;

namespace DistStack.Tests.Observability;

/// <summary>
/// A five-process cluster for a test class (a class fixture: each observability test class gets its own, and a
/// test leaves every node running again when it ends), with its progress lines sent to the running test's output.
/// </summary>
public sealed class ObservedCluster : IAsyncLifetime
{
    // Five processes starting at once on two cores spend several seconds each in JIT before they elect.
    public static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(90);

    private readonly List<string> _log = [];

    public const int JsonLoggingNode = 2;

    public ProcessCluster Cluster { get; private set; } = null!;

    /// <summary>Where the current test's progress lines go (set by each test; the fixture outlives them).</summary>
    public Action<string>? Output { get; set; }

    public bool Failed { get; set; }

    public async Task InitializeAsync()
    {
        // Node 2 logs JSON (--log-format json), the others text: both formats run side by side in one cluster.
        Cluster = ProcessCluster.Start(5, new ProcessClusterOptions
        {
            Log = Log,
            ExtraArguments = id => id == JsonLoggingNode ? ["--log-format", "json"] : [],
        });
        await Cluster.WaitForLeaderAsync(StartupDeadline);
    }

    private void Log(string line)
    {
        lock (_log) _log.Add(line);
        try
        {
            Output?.Invoke(line);
        }
        catch (InvalidOperationException)
        {
            // no test is running any more
        }
    }

    public async Task DisposeAsync()
    {
        Cluster.KeepData = Failed;
        await Cluster.DisposeAsync();
    }

    /// <summary>The repository's artifacts/ folder (gitignored), or the temp dir outside a checkout.</summary>
    public static string ArtifactsDirectory(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DistStack.sln")))
                return Directory.CreateDirectory(Path.Combine(dir.FullName, "artifacts", name)).FullName;
        return Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "diststack-artifacts", name)).FullName;
    }
}
