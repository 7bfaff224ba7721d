using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Node;

// The protocol of the RaftNode actor family: what the HTTP gateway asks its local RaftNode, what a RaftNode
// forwards to the leader's RaftNode, and the replies. Replies cross the wire (a forwarded command is answered
// by the leader straight to the original asker).

/// <summary>Gateway → local RaftNode: replicate a command. Reply: <see cref="NodeReply"/>.</summary>
public sealed record ExecuteCommand(StackCommand Command);

/// <summary>Gateway → local RaftNode: a linearizable read (ReadIndex). Reply: <see cref="NodeReply"/>.</summary>
public sealed record ExecuteQuery(StackQuery Query);

/// <summary>Follower RaftNode → leader RaftNode, over Akka.Remote. Reply: <see cref="NodeReply"/>.</summary>
public sealed record ForwardedCommand(StackCommand Command, int OriginNodeId);

/// <summary>
/// Follower RaftNode → leader RaftNode, over Akka.Remote: the writes this follower forwarded since its last batch (or
/// copies re-sent), each under an id the follower chose. The leader answers every one in a
/// <see cref="ForwardedAnswers"/> to the sending RaftNode, which answers its clients. Sent only to a leader that said
/// it reads batches (<see cref="ForwardedBatchesSupported"/>); otherwise a follower forwards one
/// <see cref="ForwardedCommand"/> per write from a child actor, as builds before batches did.
/// </summary>
public sealed record ForwardedCommands(ulong ClusterId, int OriginNodeId, IReadOnlyList<ForwardedWriteCopy> Writes);

/// <summary>One write in a <see cref="ForwardedCommands"/>, under the forwarding node's id for it (data inside the message, not sent alone).</summary>
public readonly record struct ForwardedWriteCopy(long WriteId, StackCommand Command);

/// <summary>Leader RaftNode → follower RaftNode, over Akka.Remote: how forwarded writes ended, by the follower's ids.</summary>
public sealed record ForwardedAnswers(ulong ClusterId, int From, IReadOnlyList<ForwardedAnswer> Answers);

/// <summary>One answer in a <see cref="ForwardedAnswers"/>, under the forwarding node's id for the write.</summary>
public readonly record struct ForwardedAnswer(long WriteId, NodeReply Reply);

/// <summary>
/// Every RaftNode → every peer, over Akka.Remote, about every election timeout (with
/// <see cref="CommandFormatsSupported"/>): <paramref name="From"/> takes <see cref="ForwardedCommands"/>. An older build
/// does not know this message and drops it, so a follower never sends it batches it would drop; a follower forgets
/// the ability when the adverts stop (a member rolled back to an older build).
/// </summary>
public sealed record ForwardedBatchesSupported(ulong ClusterId, int From);

/// <summary>
/// Follower RaftNode → leader RaftNode, over Akka.Remote: a membership change the follower's gateway was asked for
/// (<see cref="ChangeMembership"/>). The leader answers the original asker with a <see cref="MembershipReply"/>; it
/// never forwards it again.
/// </summary>
public sealed record ForwardedMembershipChange(ulong ClusterId, int OriginNodeId, ConfigurationChange Change);

/// <summary>Gateway → local RaftNode. Reply: <see cref="NodeStatus"/>.</summary>
public sealed record GetNodeStatus
{
    public static readonly GetNodeStatus Instance = new();
}

/// <summary>Gateway → local RaftNode on shutdown: hand leadership over if leader. Reply: <see cref="LeadershipHandedOver"/>.</summary>
public sealed record HandOverLeadership
{
    public static readonly HandOverLeadership Instance = new();
}

public sealed record LeadershipHandedOver(bool WasLeader, int? NewLeaderId);

/// <summary>
/// Leader RaftNode → follower RaftNode, over Akka.Remote, while the leader has heard no replication answer from
/// that follower for <paramref name="SilentForMs"/> although it keeps sending to it. Arriving at all proves the
/// leader-to-follower direction works, so the follower resets ITS side of the association: the leader's own reset
/// cannot repair a dead endpoint on the follower's side (docs/post-mortem-one-way-association.md). Transport
/// repair only: Raft's safety never depends on it.
/// </summary>
public sealed record PeerSilenceNotice(ulong ClusterId, int From, int To, long SilentForMs);

/// <summary>
/// Every RaftNode → every peer, over Akka.Remote, about every election timeout: the newest format level
/// <paramref name="From"/> reads (3 = stack command format 3; 4 = also compressed stack snapshots). A leader proposes
/// a newer command format, and a node writes compressed snapshots, only once every member has said it reads it
/// (Shell/CommandFormatGate). An older build that does not know this message drops it (its serializer has no such
/// manifest) and so never opens the gate.
/// </summary>
public sealed record CommandFormatsSupported(ulong ClusterId, int From, byte MaxCommandVersion);

/// <summary>How a command or query ended, as far as this node can tell.</summary>
public abstract record NodeReply
{
    private protected NodeReply() { }
}

/// <summary>Applied (or read) with this result.</summary>
public sealed record Completed(StackResult Result) : NodeReply;

/// <summary>Never left this node, nothing was applied (no leader known, overloaded, shutting down). HTTP 503.</summary>
public sealed record NotStarted(string Reason) : NodeReply;

/// <summary>Handed on, but not confirmed: it may or may not take effect. HTTP 504; a retry with the same key is safe.</summary>
public sealed record OutcomeUnknown(string Reason) : NodeReply;

/// <summary>
/// One member as this node sees it. <paramref name="Reachable"/> and <paramref name="LastHeardMs"/> come from Raft's own
/// traffic (any Raft message from that member), not from Akka.Cluster: a leader hears every follower at each
/// heartbeat, a follower hears the leader (and candidates); null = never heard in this incarnation.
/// </summary>
public sealed record MemberStatus(int Id, string Address, bool Reachable, long? MatchIndex, long? LastHeardMs = null)
{
    /// <summary>"voter" or "learner" in the answering node's latest configuration (local status only; not on the wire).</summary>
    public string Role { get; init; } = "voter";

    /// <summary>For a learner, on the leader: whether it is caught up (docs/membership.md); null elsewhere.</summary>
    public bool? CaughtUp { get; init; }

    /// <summary>
    /// On the leader: true when the member answers from another storage than the one the configuration records for it
    /// (its data was lost; it counts toward nothing until replaced); null elsewhere. Local status only.
    /// </summary>
    public bool? StorageLost { get; init; }
}

public sealed record NodeStatus(
    int NodeId,
    string ClusterId,
    RaftRole Role,
    long Term,
    int? LeaderId,
    long CommitIndex,
    long AppliedIndex,
    long LastLogIndex,
    long SnapshotIndex,
    string StateDigest,
    IReadOnlyList<MemberStatus> Members)
{
    /// <summary>
    /// This node in its latest configuration: "voter", "learner", "removed" (it learned it was removed, and takes no
    /// part), "joining" (started with --join, not added yet); null while recovering. Local status only; not on the wire.
    /// </summary>
    public string? Membership { get; init; }

    /// <summary>This node's storage id (16 hex digits; docs/membership.md, "Storage ids"). Local status only.</summary>
    public string? StorageId { get; init; }

    /// <summary>
    /// True when the configuration records another storage for this node than its own: its data was lost, and it
    /// neither campaigns nor counts until replaced; null while recovering. Local status only.
    /// </summary>
    public bool? StorageLost { get; init; }
}
