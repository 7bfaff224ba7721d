using DistStack.Tests.Support;

namespace DistStack.Tests.Chaos;

/// <summary>
/// Loopback mode: the shared <see cref="ProcessCluster"/> harness; no partitions possible. Optionally with every
/// node's journal in its own database of a PostgreSQL server that the cluster owns and stops.
/// </summary>
public sealed class HarnessChaosCluster : IChaosCluster
{
    private readonly ProcessCluster _cluster;
    private readonly PostgresServer? _postgres;

    private HarnessChaosCluster(ProcessCluster cluster, string reason, PostgresServer? postgres = null)
    {
        _cluster = cluster;
        _postgres = postgres;
        Nodes = cluster.Nodes.Select(n => (IChaosNode)new Node(n)).ToList();
        Http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        NetworkDescription = $"loopback 127.0.0.1 (harness); NO PARTITIONS: {reason}" +
                             (postgres is null ? "" : $"; storage: {postgres}, a database per node");
    }

    public static HarnessChaosCluster Start(int nodes, string root, string whyNoPartitions, Action<string> log) =>
        new(ProcessCluster.Start(nodes, new ProcessClusterOptions { RootDirectory = root, Log = log }), whyNoPartitions);

    public static HarnessChaosCluster StartOnPostgres(int nodes, string root, string whyNoPartitions, Action<string> log)
    {
        var postgres = PostgresServer.Start();
        try
        {
            var configs = postgres.WriteNodeConfigs(nodes, root);
            log($"storage: {postgres}");
            var cluster = ProcessCluster.Start(nodes, new ProcessClusterOptions
            {
                RootDirectory = root,
                Log = log,
                ExtraArguments = id => ["--config", configs[id]],
            });
            return new HarnessChaosCluster(cluster, whyNoPartitions, postgres);
        }
        catch
        {
            postgres.Dispose();
            throw;
        }
    }

    public IReadOnlyList<IChaosNode> Nodes { get; }
    public HttpClient Http { get; }
    public string RootDirectory => _cluster.RootDirectory;
    public bool SupportsPartitions => false;
    public bool SupportsWipe => _postgres is null;
    public string NetworkDescription { get; }

    public bool KeepData
    {
        get => _cluster.KeepData;
        set => _cluster.KeepData = value;
    }

    public Task BlockAsync(IReadOnlyCollection<(int From, int To)> links) => throw new NotSupportedException("no partitions on loopback");

    public Task HealAsync() => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _cluster.DisposeAsync();
        _postgres?.Dispose(); // after the nodes: they must not see their database vanish while they stop
    }

    private sealed class Node(NodeProcess process) : IChaosNode
    {
        public int Id => process.Id;
        public Uri HttpUrl => process.HttpUrl;
        public string RaftUrl => process.RaftUrl;
        public bool IsRunning => process.IsRunning;
        public bool IsPaused => process.IsPaused;
        public string LogPath => process.LogPath;
        public void Start() => process.Start();
        public Task KillAsync() => process.KillAsync();
        public void Pause() => process.Pause();
        public void Resume() => process.Resume();
        public void WipeData() => process.WipeDataDirectory();
        public void Note(string text) => process.Note(text);
    }
}
