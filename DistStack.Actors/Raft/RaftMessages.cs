namespace DistStack.Actors.Raft;

/// <summary>
/// Every message Raft peers exchange. Each carries the cluster id fixed at bootstrap: a node drops any message
/// of another cluster. These cross the wire (Akka.Remote) with DistStack's own serializer.
/// </summary>
public abstract record RaftMessage(ulong ClusterId, int From, int To, long Term);

/// <summary>
/// An answer that a vote or an acknowledgement counts from. It names the storage that answered (a random id its node's
/// storage got at first boot; 0 = unknown, from a build before storage ids): the leader and candidates count it only if
/// the configuration records that storage for the sender, so a node whose disk was lost never counts with a blank log.
/// </summary>
public interface IStorageStamped
{
    ulong StorageId { get; }
}

/// <summary>
/// RequestVote (§5.2), or its pre-vote form (§9.6) when <paramref name="PreVote"/> is set: a pre-vote does not
/// change the receiver's term or vote, and <paramref name="Term"/> is then the term the sender would campaign in.
/// <paramref name="LeadershipTransfer"/> marks a campaign started by TimeoutNow, which followers must not ignore
/// even though they heard from a leader recently (§4.2.3).
/// </summary>
public sealed record RequestVote(
    ulong ClusterId, int From, int To, long Term,
    bool PreVote, long LastLogIndex, long LastLogTerm, bool LeadershipTransfer)
    : RaftMessage(ClusterId, From, To, Term);

public sealed record RequestVoteResponse(
    ulong ClusterId, int From, int To, long Term,
    bool PreVote, bool Granted)
    : RaftMessage(ClusterId, From, To, Term), IStorageStamped
{
    public ulong StorageId { get; init; }
}

/// <summary>AppendEntries (§5.3). Batches are bounded in entries and bytes.</summary>
public sealed record AppendEntries(
    ulong ClusterId, int From, int To, long Term,
    long PrevLogIndex, long PrevLogTerm, IReadOnlyList<LogEntry> Entries, long LeaderCommit)
    : RaftMessage(ClusterId, From, To, Term);

/// <summary>
/// Reply to AppendEntries, sent only once the entries are durable. On success <paramref name="MatchIndex"/> is
/// the last index known to match the leader. On rejection the hint lets the leader skip a whole conflicting
/// term at once (§5.3, "fast back-up"): <paramref name="ConflictTerm"/> is the follower's term at PrevLogIndex
/// (0 if its log is shorter) and <paramref name="ConflictIndex"/> the first index it holds of that term
/// (or its last index + 1 if shorter). On rejection <paramref name="MatchIndex"/> carries the PrevLogIndex that
/// was rejected, so the leader can tell a stale rejection from a current one.
/// </summary>
public sealed record AppendEntriesResponse(
    ulong ClusterId, int From, int To, long Term,
    bool Success, long MatchIndex, long ConflictIndex, long ConflictTerm)
    : RaftMessage(ClusterId, From, To, Term), IStorageStamped
{
    public ulong StorageId { get; init; }
}

/// <summary>
/// Leader heartbeat. <paramref name="Commit"/> never exceeds what the receiver is known to hold.
/// <paramref name="ReadContext"/> is echoed back and confirms leadership for ReadIndex rounds started before it.
/// </summary>
public sealed record Heartbeat(
    ulong ClusterId, int From, int To, long Term,
    long Commit, long ReadContext)
    : RaftMessage(ClusterId, From, To, Term);

public sealed record HeartbeatResponse(
    ulong ClusterId, int From, int To, long Term,
    long ReadContext)
    : RaftMessage(ClusterId, From, To, Term), IStorageStamped
{
    public ulong StorageId { get; init; }
}

/// <summary>
/// One chunk of a snapshot (§7). Chunks respect the frame limit; <paramref name="Offset"/> is the chunk's
/// position in the snapshot data; <paramref name="Done"/> marks the last chunk.
/// </summary>
public sealed record InstallSnapshot(
    ulong ClusterId, int From, int To, long Term,
    SnapshotMetadata Metadata, long Offset, byte[] Chunk, bool Done)
    : RaftMessage(ClusterId, From, To, Term);

/// <summary>
/// Acknowledges a snapshot chunk. <paramref name="NextOffset"/> is the next byte wanted (0 restarts the
/// transfer); when <paramref name="Done"/> is set the whole snapshot is durable and installed.
/// </summary>
public sealed record InstallSnapshotResponse(
    ulong ClusterId, int From, int To, long Term,
    long LastIncludedIndex, long NextOffset, bool Done)
    : RaftMessage(ClusterId, From, To, Term), IStorageStamped
{
    public ulong StorageId { get; init; }
}

/// <summary>Leadership transfer (dissertation §3.10): the target starts an election at once.</summary>
public sealed record TimeoutNow(ulong ClusterId, int From, int To, long Term)
    : RaftMessage(ClusterId, From, To, Term);

/// <summary>
/// A follower asks the leader for a read index on behalf of its own clients (§6.4): one request per batch of reads,
/// <paramref name="RequestId"/> being the batch's first read's id.
/// </summary>
public sealed record ReadIndexRequest(ulong ClusterId, int From, int To, long Term, long RequestId)
    : RaftMessage(ClusterId, From, To, Term);

public sealed record ReadIndexResponse(
    ulong ClusterId, int From, int To, long Term,
    long RequestId, long ReadIndex, ReadRejection? Rejected)
    : RaftMessage(ClusterId, From, To, Term);
