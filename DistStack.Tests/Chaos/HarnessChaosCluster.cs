using DistStack.Tests.Support;

namespace DistStack.Tests.Chaos;

/// <summary>Loopback mode: the shared <see cref="ProcessCluster"/> harness; no partitions possible.</summary>
public sealed class HarnessChaosCluster : IChaosCluster
{
    private readonly ProcessCluster _cluster;

    private HarnessChaosCluster(ProcessCluster cluster, string reason)
    {
        _cluster = cluster;
        Nodes = cluster.Nodes.Select(n => (IChaosNode)new Node(n)).ToList();
        Http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        NetworkDescription = $"loopback 127.0.0.1 (harness); NO PARTITIONS: {reason}";
    }

    public static HarnessChaosCluster Start(int nodes, string root, string whyNoPartitions, Action<string> log) =>
        new(ProcessCluster.Start(nodes, new ProcessClusterOptions { RootDirectory = root, Log = log }), whyNoPartitions);

    public IReadOnlyList<IChaosNode> Nodes { get; }
    public HttpClient Http { get; }
    public string RootDirectory => _cluster.RootDirectory;
    public bool SupportsPartitions => false;
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
    }

    private sealed class Node(NodeProcess process) : IChaosNode
    {
        public int Id => process.Id;
        public Uri HttpUrl => process.HttpUrl;
        public bool IsRunning => process.IsRunning;
        public bool IsPaused => process.IsPaused;
        public string LogPath => process.LogPath;
        public void Start() => process.Start();
        public Task KillAsync() => process.KillAsync();
        public void Pause() => process.Pause();
        public void Resume() => process.Resume();
        public void Note(string text) => process.Note(text);
    }
}
