using Akka.Actor;
using Akka.Configuration;
using DistStack.Actors.Actors;
using DistStack.Host.CommandLine;

namespace DistStack.Host.Hosting;

/// <summary>Registry key of the local RaftNode actor (IRequiredActor&lt;RaftNodeActor&gt;).</summary>
public sealed class RaftNodeActor;

/// <summary>
/// Where the host meets DistStack.Actors: the node's Akka config and its RaftNode actor.
/// PLACEHOLDER until branch `actors` lands RaftNodeSettings/NodeConfig/RaftNode: no remoting, and a stand-in
/// that refuses every request with 503, so the HTTP surface runs but nothing is ever stored.
/// </summary>
public static class RaftNodeHosting
{
    public static Config AkkaConfig(NodeOptions options) => Config.Empty;

    public static IActorRef Start(ActorSystem system, NodeOptions options) =>
        system.ActorOf(Props.Create(() => new RaftNodeMissing(options.NodeId)), "raft-node");

    private sealed class RaftNodeMissing : ReceiveActor
    {
        public RaftNodeMissing(int nodeId)
        {
            const string reason = "this build has no Raft node yet";
            Receive<ExecuteCommand>(_ => Sender.Tell(new NotStarted(reason)));
            Receive<ExecuteQuery>(_ => Sender.Tell(new NotStarted(reason)));
            Receive<HandOverLeadership>(_ => Sender.Tell(new LeadershipHandedOver(false, null)));
            Receive<GetNodeStatus>(_ => Sender.Tell(new NodeStatus(nodeId, "none", Actors.Raft.RaftRole.Follower, 0, null,
                0, 0, 0, 0, "0", [])));
        }
    }
}
