namespace DistStack.Actors.Raft;

/// <summary>What a log entry carries. A no-op is the entry a new leader appends to commit its term (§5.4.2, §6.4).</summary>
public enum EntryKind : byte
{
    Command = 0,
    NoOp = 1,
    Configuration = 2,
}

/// <summary>
/// One Raft log entry. <see cref="Data"/> is opaque to the core: a serialized stack command for
/// <see cref="EntryKind.Command"/>, a serialized <see cref="ClusterConfiguration"/> for
/// <see cref="EntryKind.Configuration"/>, empty for a no-op. Treat the array as immutable.
/// </summary>
public sealed record LogEntry(long Index, long Term, EntryKind Kind, byte[] Data)
{
    /// <summary>Approximate wire size, used to bound batches in bytes (Akka.Remote drops frames over maximum-frame-size).</summary>
    public int ApproximateSize => Data.Length + 32;
}

/// <summary>The state Raft requires on stable storage before answering any RPC (Figure 2): current term and vote.</summary>
public sealed record HardState(long Term, int VotedFor)
{
    public const int NoVote = 0;
    public static readonly HardState Empty = new(0, NoVote);
}

/// <summary>Where a snapshot ends: the last index and term it covers, and the configuration in force there.</summary>
public sealed record SnapshotMetadata(long LastIncludedIndex, long LastIncludedTerm, ClusterConfiguration Configuration);

/// <summary>A complete snapshot: metadata plus the state machine's serialized bytes (opaque to the core).</summary>
public sealed record SnapshotData(SnapshotMetadata Metadata, byte[] Data);

public enum RaftRole : byte
{
    Follower = 0,
    PreCandidate = 1,
    Candidate = 2,
    Leader = 3,
}

/// <summary>Volatile facts worth logging when they change: who leads, in which term, and our role.</summary>
public sealed record SoftState(RaftRole Role, long Term, int? LeaderId);

/// <summary>
/// What a node persisted, handed back to the core on restart. A fresh node starts from
/// <see cref="RaftBootstrap.Initial"/>, which must itself be persisted before the node takes part.
/// </summary>
public sealed record RaftDurableState(HardState HardState, SnapshotData? Snapshot, IReadOnlyList<LogEntry> Entries);

public static class RaftBootstrap
{
    /// <summary>
    /// The identical first log of every founding member: one configuration entry at index 1, term 0.
    /// Every founder holds it, so it is committed by construction, and log matching holds from index 1.
    /// </summary>
    public static RaftDurableState Initial(ClusterConfiguration configuration) =>
        new(HardState.Empty, null, [new LogEntry(1, 0, EntryKind.Configuration, configuration.Encode())]);
}

/// <summary>Answer to a proposal on this node.</summary>
public abstract record ProposeResult
{
    private ProposeResult() { }

    /// <summary>Appended at (Index, Term). Committed (or lost) later: the applier matches by index and term.</summary>
    public sealed record Accepted(long Index, long Term) : ProposeResult;

    /// <summary>Not the leader; <paramref name="LeaderHint"/> is the leader we know of, if any.</summary>
    public sealed record NotLeader(int? LeaderHint) : ProposeResult;

    /// <summary>Leader, but handing leadership over (§3.10): proposals are refused meanwhile.</summary>
    public sealed record TransferInProgress(int Target) : ProposeResult;
}

/// <summary>
/// The answer to a ReadIndex request (dissertation §6.4). When <see cref="Rejected"/> is null, the read may be
/// served once this node has applied up to <see cref="ReadIndex"/>; otherwise it failed and nothing was read.
/// </summary>
public sealed record ReadState(long RequestId, long ReadIndex, ReadRejection? Rejected = null);

public enum ReadRejection : byte
{
    NoLeader = 1,
    LeadershipTransfer = 2,
    LostLeadership = 3,
}

/// <summary>A point-in-time view for status endpoints and tests.</summary>
public sealed record RaftStatus(
    int NodeId,
    RaftRole Role,
    long Term,
    int? LeaderId,
    long CommitIndex,
    long AppliedIndex,
    long LastLogIndex,
    long SnapshotIndex,
    ClusterConfiguration Configuration,
    IReadOnlyDictionary<int, long> MatchIndex)
{
    /// <summary>
    /// False when the configuration records another storage for this node than its own: its disk was lost, it came
    /// back blank, and it neither campaigns nor counts until it is removed and added again.
    /// </summary>
    public bool OwnStorageRecorded { get; init; } = true;

    /// <summary>
    /// Leader only: members that answer from another storage than the one recorded for them (their disks were lost);
    /// they count toward nothing until removed and added again.
    /// </summary>
    public IReadOnlyList<int> MembersWithLostStorage { get; init; } = [];

    /// <summary>What this node is in the configuration in force: a removed (or not yet added) node is neither.</summary>
    public Membership Membership =>
        Configuration.Contains(NodeId) ? Membership.Voter :
        Configuration.IsLearner(NodeId) ? Membership.Learner : Membership.NotAMember;
}

public enum Membership : byte
{
    NotAMember = 0,
    Voter = 1,
    Learner = 2,
}
