using DistStack.Actors.Raft;

namespace DistStack.Actors.Node;

// The membership protocol of the RaftNode actor family: what the HTTP gateway asks its local RaftNode to change in
// the cluster's configuration, and the replies. A follower forwards a change to the leader it knows
// (ForwardedMembershipChange, in NodeProtocol.cs), and the leader answers the gateway's asker directly, so the
// replies cross the wire (DistStackSerializer.Membership.cs); the requests here stay in-process.

/// <summary>
/// Gateway → local RaftNode: propose <paramref name="Change"/> and answer once its configuration entry is committed.
/// An addition with <see cref="ConfigurationChange.PromoteWhenCaughtUp"/> (raftexample's <c>POST /{id}</c>) asks for a
/// voter in the end, so a voter at that address already is its target state. Reply: <see cref="MembershipReply"/>.
/// </summary>
public sealed record ChangeMembership(ConfigurationChange Change);

/// <summary>Gateway → local RaftNode: the members as this node knows them. Reply: <see cref="MembershipView"/>.</summary>
public sealed record GetMembership
{
    public static readonly GetMembership Instance = new();
}

/// <summary>
/// The configuration in force on the answering node (the latest in its log), its leader, and on the leader which
/// learners are caught up. <paramref name="Addresses"/> holds every member's peer address, recorded or configured.
/// </summary>
public sealed record MembershipView(
    int NodeId,
    int? LeaderId,
    ClusterConfiguration Configuration,
    IReadOnlyDictionary<int, string> Addresses,
    IReadOnlySet<int> CaughtUpLearners,
    bool AnsweredByLeader);

/// <summary>How a membership change ended. Crosses the wire: a leader answers a follower's gateway directly.</summary>
public abstract record MembershipReply
{
    private MembershipReply() { }

    /// <summary>The configuration entry is committed (or the configuration already was the target): HTTP 200.</summary>
    public sealed record Done(string Detail, ClusterConfiguration Configuration) : MembershipReply;

    /// <summary>The leader refused it and nothing changed: HTTP 400, 404 or 409 by <paramref name="Reason"/>.</summary>
    public sealed record Refused(ConfigurationRefusal Reason, string Detail) : MembershipReply;

    /// <summary>Nothing changed: not the leader (<paramref name="LeaderId"/> is the one known), starting, handing over. HTTP 503.</summary>
    public sealed record NotStarted(string Detail, int? LeaderId) : MembershipReply;

    /// <summary>Proposed, but not seen committed in time or leadership changed: it may still take effect. HTTP 504; retry.</summary>
    public sealed record OutcomeUnknown(string Detail) : MembershipReply;
}
