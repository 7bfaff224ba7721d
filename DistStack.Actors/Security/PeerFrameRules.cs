using Akka.Actor;
using Akka.Dispatch.SysMsg;

namespace DistStack.Actors.Security;

/// <summary>
/// What another process may send a node, decided when its frame is decoded (see <see cref="PeerDelivery"/>).
/// Peers exchange Raft messages, forwarded writes and their replies, silence notices, and Akka's own remoting and
/// cluster traffic; nothing else. In particular a peer may not send:
/// <list type="bullet">
/// <item>the messages only the node's own gateway and host send its RaftNode (execute a command or query, status,
/// leadership hand-over), nor journal events;</item>
/// <item>anything through Akka's JSON serializer, which can build any type the process can load;</item>
/// <item>PoisonPill or Kill (directly or inside an actor selection), which would stop the RaftNode until the process
/// restarts;</item>
/// <item>remote deployment (create an actor here) or lifecycle system messages (terminate, suspend, ...).</item>
/// </list>
/// </summary>
public static class PeerFrameRules
{
    /// <summary>DistStackSerializer manifests a peer may send: everything but the local-only protocol and journal events.</summary>
    private static readonly HashSet<string> LocalOnlyManifests =
    [
        "XC1", // ExecuteCommand
        "XQ1", // ExecuteQuery
        "GNS1", // GetNodeStatus
        "HOL1", // HandOverLeadership
        "LHO1", // LeadershipHandedOver
        "HSR1", "EA1", "EAS1", "LT1", "NB1", "DS1", "DS2", "DS3", // journal events and the snapshot records
    ];

    public static void CheckDistStackManifest(string manifest)
    {
        if (PeerDelivery.InProgress && LocalOnlyManifests.Contains(manifest))
            throw new PeerFrameRefusedException(
                $"DistStack manifest '{manifest}' is local to a node (its own gateway, host or journal) and never crosses the wire");
    }

    public static void CheckMisc(object message)
    {
        if (PeerDelivery.InProgress && message is PoisonPill or Kill)
            throw new PeerFrameRefusedException($"{message.GetType().Name} from another process (it would stop an actor of this node)");
    }

    public static void CheckSystemMessage(object message)
    {
        // Remote DeathWatch (watch, unwatch, the notification) is all Akka.Remote and Akka.Cluster exchange.
        if (PeerDelivery.InProgress && message is not (Watch or Unwatch or DeathWatchNotification))
            throw new PeerFrameRefusedException($"system message {message.GetType().Name} from another process");
    }

    public static void RefuseFromPeer(string what)
    {
        if (PeerDelivery.InProgress) throw new PeerFrameRefusedException(what);
    }
}
