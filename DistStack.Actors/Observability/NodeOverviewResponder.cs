using Akka.Actor;

namespace DistStack.Actors.Observability;

/// <summary>
/// Answers <see cref="GetNodeOverview"/> from this node's <see cref="NodeObservations"/>, at /user/node-overview.
/// Separate from RaftNode so that a node whose Raft actor is busy, stuck or restarting still says what it last
/// knew (and how old that is) instead of timing out.
/// </summary>
public sealed class NodeOverviewResponder : ReceiveActor
{
    public const string ActorName = "node-overview";

    public static Props Props(int nodeId) => Akka.Actor.Props.Create(() => new NodeOverviewResponder(nodeId));

    public NodeOverviewResponder(int nodeId)
    {
        var observations = NodeObservations.For(Context.System);
        Receive<GetNodeOverview>(_ => Sender.Tell(new NodeOverview(
            nodeId,
            observations.Latest,
            observations.LatestAtMs,
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            observations.WritesAcknowledged,
            observations.ReadsServed,
            observations.Events.Snapshot())));
    }
}
