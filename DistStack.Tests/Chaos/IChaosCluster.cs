namespace DistStack.Tests.Chaos;

/// <summary>One Host process as the chaos runner drives it.</summary>
public interface IChaosNode
{
    int Id { get; }
    Uri HttpUrl { get; }

    /// <summary>The Raft URL the cluster knows this node by (the body of raftexample's <c>POST /{id}</c>).</summary>
    string RaftUrl { get; }
    bool IsRunning { get; }
    bool IsPaused { get; }
    string LogPath { get; }

    void Start();
    Task KillAsync();
    void Pause();
    void Resume();

    /// <summary>
    /// The lost disk: deletes the data dir of the stopped node; from then on it starts with --join (also if it is
    /// killed again before it was added back: without --join an empty data dir would bootstrap as a founder).
    /// </summary>
    void WipeData();

    /// <summary>A line in the node's log, so the log tells the whole story.</summary>
    void Note(string text);
}

/// <summary>
/// Five real Host processes, either on loopback through the shared harness (kills and pauses), or each in its
/// own network namespace (kills, pauses and partitions).
/// </summary>
public interface IChaosCluster : IAsyncDisposable
{
    IReadOnlyList<IChaosNode> Nodes { get; }

    /// <summary>Reaches every node's HTTP endpoint (in namespace mode its sockets live in the hub namespace).</summary>
    HttpClient Http { get; }

    string RootDirectory { get; }

    bool SupportsPartitions { get; }

    /// <summary>Whether deleting a node's data dir loses its whole state (not so when its journal is in PostgreSQL).</summary>
    bool SupportsWipe { get; }

    /// <summary>How the network is set up, for the summary.</summary>
    string NetworkDescription { get; }

    /// <summary>Drop every packet node <c>From</c> sends to node <c>To</c>, for every pair at once.</summary>
    Task BlockAsync(IReadOnlyCollection<(int From, int To)> links);

    /// <summary>Remove every network fault.</summary>
    Task HealAsync();

    /// <summary>Keep data dirs after dispose.</summary>
    bool KeepData { get; set; }
}
