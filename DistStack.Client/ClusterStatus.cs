namespace DistStack.Client;

/// <summary>
/// One node's view of the cluster (GET /cluster/status). <see cref="Role"/> is leader, follower, candidate or
/// precandidate; two nodes with the same <see cref="AppliedIndex"/> have the same <see cref="StateDigest"/>.
/// </summary>
public sealed record ClusterStatus(
    int NodeId,
    string ClusterId,
    string Role,
    long Term,
    int? LeaderId,
    long CommitIndex,
    long AppliedIndex,
    long LastLogIndex,
    long SnapshotIndex,
    string StateDigest,
    IReadOnlyList<MemberStatus> Members);

/// <summary>
/// A member as the answering node sees it: <see cref="MatchIndex"/> is known only on the leader; <see cref="LastHeardMs"/>
/// is how long ago the answering node heard a Raft message from it (null: never since it started).
/// </summary>
public sealed record MemberStatus(int Id, string Address, bool Reachable, long? MatchIndex, long? LastHeardMs);

/// <summary>The status of one configured node, or why it could not be had.</summary>
public sealed record NodeStatusResult(Uri Node, ClusterStatus? Status, string? Error);
