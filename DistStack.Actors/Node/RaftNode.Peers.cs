using Akka.Event;
using Akka.Actor;
using Akka.Remote;
using DistStack.Actors.Raft;

namespace DistStack.Actors.Node;

// Peers are the configured members, addressed by ActorSelection at <protocol>://<system>@host:port/user/raft-node.
// A selection resolves on every send, so a peer that restarted (new incarnation, new UID) is reached again
// without any re-identification. No remote DeathWatch (it quarantines) and no cluster events: Raft's own
// timeouts decide who is alive.
public sealed partial class RaftNode
{
    private IReadOnlyDictionary<int, ICanTell> _peers = new Dictionary<int, ICanTell>();
    private readonly Dictionary<int, Address> _peerAddresses = [];
    private Shell.PeerLinkRepair? _links;

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
            _peerAddresses[member.NodeId] = address;
            peers[member.NodeId] = Context.ActorSelection($"{address}/user/{ActorName}");
        }
        return peers;
    }

    private bool IsPeer(int nodeId) => _peers.ContainsKey(nodeId);

    private void Send(IReadOnlyList<RaftMessage> messages)
    {
        foreach (var message in messages)
        {
            if (_peers.TryGetValue(message.To, out var peer))
            {
                peer.Tell(message, Self);
                _observations.Metrics.PeerMessageSent(message);
            }
            else _log.Debug("Dropped {0} to unknown peer {1}", message.GetType().Name, message.To);
        }
    }

    private void NotePeerMessage(RaftMessage message) => _links!.Heard(message, Ticks);

    /// <summary>Milliseconds since this node last heard a Raft message from <paramref name="peer"/>; null = never.</summary>
    private long? MillisecondsSinceHeard(int peer) =>
        _links?.TicksSinceHeard(peer, Ticks) is { } ticks ? TicksToMilliseconds(ticks) : null;

    /// <summary>
    /// On every tick, what Shell/PeerLinkRepair decides: reset this side of silent followers' links, and tell silent
    /// followers how long they have been silent (<see cref="PeerSilenceNotice"/>). The reset is Akka.Remote's
    /// "quarantine without a UID", which does NOT quarantine: it stops this side's endpoints for that address and
    /// gates it for retry-gate-closed-for (1 s), and the next message opens a fresh connection. It repairs only THIS
    /// side: a follower whose own endpoint to us is dead (it still hears us on a connection we opened) goes on
    /// writing its answers into the dead one, so the notice makes it reset its side too (OnPeerSilenceNotice).
    /// </summary>
    private void WatchSilentPeers()
    {
        var repairs = _links!.Tick(IsLeader, _peerAddresses.Keys, Ticks);
        foreach (var link in repairs.Resets)
        {
            _log.Warning(
                "Node {0} (leader in term {1}) heard no replication answer from node {2} for {3} ms while sending to it{4}; " +
                "resetting this side's Akka.Remote association (gated, not quarantined)",
                _settings.NodeId, _clients!.Term, link.Peer, TicksToMilliseconds(link.SilentTicks),
                link.TalksToUs ? ", although it sends us vote requests or reads (it does not hear us)" : "");
            ResetTransportTo(link.Peer);
        }
        foreach (var link in repairs.Notices)
            if (_peers.TryGetValue(link.Peer, out var follower))
                follower.Tell(new PeerSilenceNotice(_settings.ClusterId, _settings.NodeId, link.Peer, TicksToMilliseconds(link.SilentTicks)), Self);
    }

    /// <summary>A peer hears us send nothing although we hear it: reset our side when PeerLinkRepair says so.</summary>
    private void OnPeerSilenceNotice(PeerSilenceNotice notice)
    {
        if (_core is null || notice.To != _settings.NodeId || !IsPeer(notice.From)) return;
        if (!AcceptFromPeer(nameof(PeerSilenceNotice), notice.ClusterId, notice.From)) return;
        if (!_links!.ResetOnNotice(notice.From, Ticks)) return;
        _log.Warning(
            "Node {0}: node {1} has heard none of our answers for {2} ms while we hear it; resetting our side of the " +
            "Akka.Remote association with it (gated, not quarantined) so our answers travel on a fresh connection",
            _settings.NodeId, notice.From, notice.SilentForMs);
        ResetTransportTo(notice.From);
    }

    private long TicksToMilliseconds(long ticks) => (long)(ticks * _settings.TickInterval.TotalMilliseconds);

    private void ResetTransportTo(int peer)
    {
        if (!_peerAddresses.TryGetValue(peer, out var address)) return;
        if (((ExtendedActorSystem)Context.System).Provider is not IRemoteActorRefProvider remote) return;
        remote.Transport.Quarantine(address, null);
    }
}
