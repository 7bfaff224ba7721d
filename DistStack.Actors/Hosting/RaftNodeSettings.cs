using Akka.Configuration;
using DistStack.Actors.Raft;

namespace DistStack.Actors.Hosting;

/// <summary>
/// Everything a node needs to run, read from the "diststack" HOCON section (defaults: hocon/diststack.conf).
/// Immutable; <see cref="NodeConfig"/> turns it into the node's Akka config and RaftNode runs with it.
/// Its defaults live in hocon/diststack.conf and nowhere else: every setting is required here and bound once,
/// by <see cref="FromConfig"/>.
/// </summary>
public sealed record RaftNodeSettings
{
    public required int NodeId { get; init; }

    /// <summary>The founding members in order: member i has Raft id i (1-based).</summary>
    public required IReadOnlyList<PeerEndpoint> Members { get; init; }

    /// <summary>Mixed into the cluster id (<see cref="ClusterIdentity"/>); empty = the id of earlier versions.</summary>
    public required string ClusterToken { get; init; }

    /// <summary>
    /// Started to join a running cluster (diststack.join): an empty data directory is not bootstrapped; the node waits
    /// to be added and learns the cluster id from the leader.
    /// </summary>
    public bool Join { get; init; }

    /// <summary>
    /// The id of the cluster this node joined, learned from its leader and recorded in the data directory; null for
    /// founders, whose id is computed from the founding members and the token.
    /// </summary>
    public ulong? JoinedClusterId { get; init; }

    /// <summary>
    /// The random id of this node's storage, chosen when its data directory was created and kept in its identity file
    /// (docs/membership.md, "Storage ids"); 0 before the directory is reconciled (unknown: never recorded).
    /// </summary>
    public ulong StorageId { get; init; }

    /// <summary>Absolute path of this node's data directory.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Bind remoting here instead of the advertised host (containers); null = the advertised host.</summary>
    public string? BindHostname { get; init; }

    /// <summary>Mutual TLS between peers (diststack.peer-tls); null = plain TCP.</summary>
    public Security.PeerTlsSettings? PeerTls { get; init; }

    public required TimeSpan TickInterval { get; init; }
    public required int ElectionTicks { get; init; }
    public required int HeartbeatTicks { get; init; }
    public required int MaxEntriesPerAppend { get; init; }
    public required int MaxBytesPerAppend { get; init; }
    public required int MaxInflightAppends { get; init; }
    public required int SnapshotChunkBytes { get; init; }
    public required bool PreVote { get; init; }
    public required bool CheckQuorum { get; init; }

    public required int MaxInFlightProposals { get; init; }
    public required TimeSpan NoLeaderWait { get; init; }
    public required TimeSpan RequestTimeout { get; init; }
    public required TimeSpan HandOverTimeout { get; init; }

    public required long SnapshotEveryEntries { get; init; }

    /// <summary>
    /// A snapshot also waits until the commands applied since the last one add up to this fraction of that
    /// snapshot's size in bytes, so that writing snapshots costs O(1) per applied entry however big the state grows.
    /// </summary>
    public required double SnapshotLogGrowthRatio { get; init; }
    public required int MaxFrameSize { get; init; }

    public required string ProviderName { get; init; }
    public required string JournalConnectionString { get; init; }
    public required string SnapshotConnectionString { get; init; }
    public required IReadOnlyList<string> ConnectionPragmas { get; init; }
    public required int MaxWritesInFlight { get; init; }

    /// <summary>Empty = the SQL journal configured by <see cref="NodeConfig"/>.</summary>
    public required string JournalPluginId { get; init; }
    public required string SnapshotPluginId { get; init; }

    public required string LogLevel { get; init; }

    /// <summary>
    /// The request-key windows and bound. Never read from configuration: every node must answer the same command
    /// the same way, so these are the build's constants; tests shrink them to reach the windows' edges.
    /// </summary>
    public Stacks.StackStateOptions StateMachine { get; init; } = new();

    public ulong ClusterId => JoinedClusterId ?? ClusterIdentity.FromMembers(Members, ClusterToken);
    public PeerEndpoint Self => Members[NodeId - 1];
    public ClusterConfiguration InitialConfiguration => ClusterConfiguration.Of([.. Members.Select(m => m.NodeId)]);

    public RaftOptions ToRaftOptions() => new(NodeId, ClusterId)
    {
        ElectionTicks = ElectionTicks,
        HeartbeatTicks = HeartbeatTicks,
        MaxEntriesPerAppend = MaxEntriesPerAppend,
        MaxBytesPerAppend = MaxBytesPerAppend,
        MaxInflightAppends = MaxInflightAppends,
        SnapshotChunkBytes = SnapshotChunkBytes,
        PreVote = PreVote,
        CheckQuorum = CheckQuorum,
        StorageId = StorageId,
        // A founder records the founders' addresses in the first membership change. A joiner's list is only where it
        // looks for the cluster: the configuration it receives records every member's address already.
        MemberAddresses = Join || JoinedClusterId is not null
            ? new Dictionary<int, string>()
            : Members.ToDictionary(m => m.NodeId, m => m.ToString()),
    };

    /// <summary>
    /// What a node runs with: <see cref="FromConfig"/> reconciled with the data directory's identity (persisted
    /// configuration wins; a contradiction throws <see cref="Persistence.DataDirectoryMismatchException"/>) and
    /// validated. Creates the data directory and its identity file on first start.
    /// </summary>
    public static RaftNodeSettings Load(Config config) => Persistence.NodeIdentityFile.Reconcile(FromConfig(config));

    /// <summary>
    /// Reads the "diststack" section of <paramref name="config"/> with the embedded defaults as fallback. Not yet
    /// validated: node id and members may still come from the data directory (see <see cref="Load"/>).
    /// </summary>
    public static RaftNodeSettings FromConfig(Config config)
    {
        var root = config.WithFallback(DistStackDefaults.Config).GetConfig("diststack");
        var members = (root.GetStringList("cluster") ?? [])
            .Select((text, i) => PeerEndpoint.Parse(i + 1, text))
            .ToList();
        var nodeId = root.GetInt("node-id");
        var dataDir = Path.GetFullPath(root.GetString("data-dir"));
        var bind = root.GetString("bind-hostname");
        var persistence = root.GetConfig("persistence");

        var settings = new RaftNodeSettings
        {
            NodeId = nodeId,
            Members = members,
            ClusterToken = root.GetString("cluster-token") ?? "",
            Join = root.GetBoolean("join"),
            DataDirectory = dataDir,
            BindHostname = string.IsNullOrWhiteSpace(bind) ? null : bind,
            PeerTls = Security.PeerTlsSettings.FromConfig(root),
            TickInterval = root.GetTimeSpan("raft.tick-interval"),
            ElectionTicks = root.GetInt("raft.election-ticks"),
            HeartbeatTicks = root.GetInt("raft.heartbeat-ticks"),
            MaxEntriesPerAppend = root.GetInt("raft.max-entries-per-append"),
            MaxBytesPerAppend = root.GetInt("raft.max-bytes-per-append"),
            MaxInflightAppends = root.GetInt("raft.max-inflight-appends"),
            SnapshotChunkBytes = root.GetInt("raft.snapshot-chunk-bytes"),
            PreVote = root.GetBoolean("raft.pre-vote"),
            CheckQuorum = root.GetBoolean("raft.check-quorum"),
            MaxInFlightProposals = root.GetInt("clients.max-in-flight"),
            NoLeaderWait = root.GetTimeSpan("clients.no-leader-wait"),
            RequestTimeout = root.GetTimeSpan("clients.request-timeout"),
            HandOverTimeout = root.GetTimeSpan("clients.hand-over-timeout"),
            SnapshotEveryEntries = root.GetLong("snapshot.every-entries"),
            SnapshotLogGrowthRatio = root.GetDouble("snapshot.log-growth-ratio"),
            MaxFrameSize = root.GetInt("max-frame-size"),
            ProviderName = persistence.GetString("provider-name"),
            JournalConnectionString = ExpandDataDir(persistence.GetString("journal-connection-string"), dataDir),
            SnapshotConnectionString = ExpandDataDir(persistence.GetString("snapshot-connection-string"), dataDir),
            ConnectionPragmas = [.. persistence.GetStringList("connection-pragmas") ?? []],
            MaxWritesInFlight = persistence.GetInt("max-writes-in-flight"),
            JournalPluginId = persistence.GetString("journal-plugin-id") ?? "",
            SnapshotPluginId = persistence.GetString("snapshot-plugin-id") ?? "",
            LogLevel = root.GetString("loglevel"),
        };
        return settings;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that cannot work.</summary>
    public void Validate()
    {
        if (Members.Count == 0)
            throw new ArgumentException("diststack.cluster is empty: list every member as host:port.");
        if (NodeId < 1 || NodeId > Members.Count)
            throw new ArgumentException($"diststack.node-id = {NodeId} must be between 1 and {Members.Count} (its position in diststack.cluster).");
        var duplicate = Members.GroupBy(m => m.ToString(), StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"diststack.cluster lists {duplicate.Key} more than once.");
        if (TickInterval <= TimeSpan.Zero) throw new ArgumentException("diststack.raft.tick-interval must be positive.");
        if (HeartbeatTicks < 1 || ElectionTicks <= HeartbeatTicks)
            throw new ArgumentException("diststack.raft: heartbeat-ticks must be >= 1 and below election-ticks.");
        if (MaxInFlightProposals < 1) throw new ArgumentException("diststack.clients.max-in-flight must be >= 1.");
        if (RequestTimeout < 4 * TickInterval)
            throw new ArgumentException($"diststack.clients.request-timeout = {RequestTimeout.TotalMilliseconds} ms must be at least 4 ticks ({4 * TickInterval.TotalMilliseconds} ms).");
        if (NoLeaderWait <= TimeSpan.Zero) throw new ArgumentException("diststack.clients.no-leader-wait must be positive.");
        if (HandOverTimeout <= TimeSpan.Zero) throw new ArgumentException("diststack.clients.hand-over-timeout must be positive.");
        if (SnapshotEveryEntries < 1) throw new ArgumentException("diststack.snapshot.every-entries must be >= 1.");
        if (SnapshotLogGrowthRatio < 0 || double.IsNaN(SnapshotLogGrowthRatio))
            throw new ArgumentException("diststack.snapshot.log-growth-ratio must be >= 0.");
        if (Math.Max(MaxBytesPerAppend, SnapshotChunkBytes) + 64 * 1024 > MaxFrameSize)
            throw new ArgumentException("diststack.max-frame-size must exceed max-bytes-per-append and snapshot-chunk-bytes by at least 64 KiB.");
    }

    private static string ExpandDataDir(string connectionString, string dataDir) =>
        connectionString.Replace("{data-dir}", dataDir.Replace('\\', '/'), StringComparison.Ordinal);
}
