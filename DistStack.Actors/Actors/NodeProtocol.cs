using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Actors;

// The protocol of the RaftNode actor family: what the HTTP gateway asks its local RaftNode, what a RaftNode
// forwards to the leader's RaftNode, and the replies. Replies cross the wire (a forwarded command is answered
// by the leader straight to the original asker).

/// <summary>Gateway → local RaftNode: replicate a command. Reply: <see cref="NodeReply"/>.</summary>
public sealed record ExecuteCommand(StackCommand Command);

/// <summary>Gateway → local RaftNode: a linearizable read (ReadIndex). Reply: <see cref="NodeReply"/>.</summary>
public sealed record ExecuteQuery(StackQuery Query);

/// <summary>Follower RaftNode → leader RaftNode, over Akka.Remote. Reply: <see cref="NodeReply"/>.</summary>
public sealed record ForwardedCommand(StackCommand Command, int OriginNodeId);

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

public sealed record MemberStatus(int Id, string Address, bool Reachable, long? MatchIndex);

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
    IReadOnlyList<MemberStatus> Members);
