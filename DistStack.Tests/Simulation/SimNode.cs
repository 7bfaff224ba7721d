using DistStack.Actors.Raft;
using DistStack.Actors.Shell;

namespace DistStack.Tests.Simulation;

/// <summary>What survives a crash: the simulated disk (hard state, snapshot, log with truncations applied).</summary>
internal sealed class SimDisk(HardState hardState, SnapshotData? snapshot, SimLog log)
{
    public HardState HardState { get; set; } = hardState;
    public SnapshotData? Snapshot { get; set; } = snapshot;
    public SimLog Log { get; } = log;

    /// <summary>The storage's id (RaftOptions.StorageId): a wiped disk comes back under a new one.</summary>
    public ulong StorageId { get; set; }

    public RaftDurableState ToDurableState() => new(HardState, Snapshot, [.. Log.Entries]);
}

/// <summary>A read requested on a node, remembered until its ReadState arrives and it is served.</summary>
internal sealed record SimRead(long RequestId, long RequestedAtStep, long AppliedIndexAcknowledgedBefore)
{
    public long ReadIndex { get; set; }
}

/// <summary>
/// One simulated process: a RaftCore (null while crashed), its disk, the Ready it is persisting, and the state
/// machine it applies to. <see cref="MemLog"/> and <see cref="MemHardState"/> mirror what the core holds in
/// memory, as far as its Readies have shown it.
/// </summary>
internal sealed class SimNode(int id, RaftOptions options, SimDisk disk)
{
    public int Id { get; } = id;
    public RaftOptions Options { get; } = options;
    public SimDisk Disk { get; } = disk;
    public RaftCore? Core { get; set; }

    /// <summary>The production Ready sequence (RaftNode runs the same class), one per incarnation of the core.</summary>
    public ReadyLoop? Loop { get; set; }

    /// <summary>Readies taken whose writes are in flight, oldest first (their first halves already carried out).</summary>
    public Queue<ReadyTaken> Writes { get; } = new();

    /// <summary>When the last write queued becomes durable: a later write never becomes durable before it.</summary>
    public long LastWriteDurableAt { get; set; }

    /// <summary>A write is in flight.</summary>
    public bool Writing => Writes.Count > 0;

    /// <summary>True when the core holds state (terms, entries, messages) that no Ready has carried out yet.</summary>
    public bool CoreAheadOfReadies =>
        Core is not null && (Core.HasReady() || Core.HasPendingSnapshot || Writes.Any(w => w.Ready.Snapshot is not null));

    /// <summary>The production client-request driver, with clients through it (SimSettings.ClientsThroughDriver).</summary>
    public ClientRequests<SimClient>? Clients { get; set; }

    /// <summary>Forwarded writes of this incarnation, by forward id.</summary>
    public ForwardedWriteTable<SimClient>? Forwards { get; set; }

    /// <summary>Client reads confirmed by the leader, waiting to be applied up to their read index.</summary>
    public List<SimClient> ClientReadsAwaitingApply { get; } = [];
    public bool IsUp => Core is not null;

    /// <summary>A founder, or a spare a membership change added, and not retired since its removal committed.</summary>
    public bool InService { get; set; }
    public int Incarnation { get; set; }

    /// <summary>How many times this node's disk was wiped (SimCluster.WipeDisk).</summary>
    public int DiskWipes { get; set; }

    /// <summary>
    /// The log each lost storage held when it was wiped, by storage id: an acknowledgement it sent before it was lost
    /// may still count toward a commit afterwards (it was true when sent), so for "no committed entry lost" the lost
    /// storage holds what it held then, forever, as a member that crashed for good.
    /// </summary>
    public Dictionary<ulong, SimLog> LostStorages { get; } = [];

    public SimLog MemLog { get; set; } = disk.Log.Clone();
    public HardState MemHardState { get; set; } = disk.HardState;
    public SoftState? LastSoftState { get; set; }
    public SimStateMachine Machine { get; } = new();

    public Dictionary<long, SimRead> RequestedReads { get; } = [];
    public List<SimRead> ReadsAwaitingApply { get; } = [];
    public long NextReadId { get; set; } = 1;

    /// <summary>Highest commit index whose entries the invariants have recorded from this node.</summary>
    public long ObservedCommit { get; set; }
    public long LastStatusCommit { get; set; }

    /// <summary>The term in which this node is a leader whose own vote is durable (0: not a leader).</summary>
    public long DurableLeaderTerm { get; set; }
}
