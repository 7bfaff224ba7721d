using DistStack.Actors.Node;

namespace DistStack.Actors.Observability;

// The protocol of the overview responder (/user/node-overview on every node): a node's host asks its own
// responder and its peers' over Akka.Remote, to build GET /cluster/overview. Both cross the wire
// (DistStackSerializer.Overview.cs).

/// <summary>Any node → a node's overview responder. Reply: <see cref="NodeOverview"/>.</summary>
public sealed record GetNodeOverview
{
    public static readonly GetNodeOverview Instance = new();
}

/// <summary>
/// What one node shows of itself: its status as of <paramref name="StatusAtMs"/> (null before its Raft actor
/// ran), its event ring, and running totals of writes acknowledged and reads served through it (a dashboard
/// turns two replies into rates). <paramref name="AnsweredAtMs"/> is its clock when it answered.
/// </summary>
public sealed record NodeOverview(
    int NodeId,
    NodeStatus? Status,
    long StatusAtMs,
    long AnsweredAtMs,
    long WritesAcknowledged,
    long ReadsServed,
    IReadOnlyList<NodeEvent> Events);
