using Akka.Event;
using Akka.Actor;
using DistStack.Actors.Raft;

namespace DistStack.Actors.Actors;

// Peers are the configured members, addressed by ActorSelection at <protocol>://<system>@host:port/user/raft-node.
// A selection resolves on every send, so a peer that restarted (new incarnation, new UID) is reached again
// without any re-identification. No remote DeathWatch (it quarantines) and no cluster events: Raft's own
// timeouts decide who is alive.
public sealed partial class RaftNode
{
    private IReadOnlyDictionary<int, ICanTell> _peers = new Dictionary<int, ICanTell>();

    private Dictionary<int, ICanTell> ResolvePeers()
    {
        var peers = new Dictionary<int, ICanTell>();
        if (_peerOverrides is not null)
        {
            foreach (var (id, peer) in _peerOverrides)
                if (id != _settings.NodeId) peers[id] = peer;
            return peers;
        }

        var protocol = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.Protocol;
        foreach (var member in _settings.Members)
        {
            if (member.NodeId == _settings.NodeId) continue;
            var address = new Address(protocol, Context.System.Name, member.Host, member.Port);
            peers[member.NodeId] = Context.ActorSelection($"{address}/user/{ActorName}");
        }
        return peers;
    }

    private bool IsPeer(int nodeId) => _peers.ContainsKey(nodeId);

    private void Send(IReadOnlyList<RaftMessage> messages)
    {
        foreach (var message in messages)
        {
            if (_peers.TryGetValue(message.To, out var peer)) peer.Tell(message, Self);
            else _log.Debug("Dropped {0} to unknown peer {1}", message.GetType().Name, message.To);
        }
    }
}
