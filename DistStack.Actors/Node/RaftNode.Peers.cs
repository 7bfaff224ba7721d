using Akka.Event;
using Akka.Actor;
using Akka.Remote;
using DistStack.Actors.Raft;

namespace DistStack.Actors.Node;

// Peers are the members of the latest configuration (committed or not), addressed by ActorSelection at
// <protocol>://<system>@host:port/user/raft-node/node (the running RaftNode, past its supervisor; while it restarts,
// what peers send it is lost, as Raft allows, and a forwarded write waits for its re-send), where host:port is the
// address the configuration records for the member, or for founders in configurations that record none, the one
// this node was configured with. After bootstrap the configuration wins over --cluster: a member added at runtime
// becomes a peer as soon as its entry is in the log, and a removed one stops being one once the leader no longer
// replicates to it (it has learned of its removal).
// A selection resolves on every send, so a peer that restarted (new incarnation, new UID) is reached again
// without any re-identification. No remote DeathWatch (it quarantines) and no cluster events: Raft's own
// timeouts decide who is alive.
public sealed partial class RaftNode
{
    private Dictionary<int, ICanTell> _peers = [];
    private readonly Dictionary<int, Address> _peerAddresses = [];
    private Shell.PeerLinkRepair? _links;

    /// <summary>The configuration the peers were last brought in step with (reference comparison: it changes rarely).</summary>
    private ClusterConfiguration? _peersConfiguration;

    private Dictionary<int, ICanTell> ResolvePeers()
    {
        var peers = new Dictionary<int, ICanTell>();
        if (_peerOverrides is not null)
        {
            foreach (var (id, peer) in _peerOverrides)
                if (id != _settings.NodeId) peers[id] = peer;
            return peers;
        }
        _peers = peers;
        _peerAddresses.Clear();
        _peersConfiguration = null;
        _formatGate = null; // over the configuration's members, now that the core runs
        SyncPeersWithConfiguration();
        return _peers;
    }

    /// <summary>
    /// Adds the members of the latest configuration that are not peers yet (or moved), and drops peers that are no
    /// longer members once the core no longer replicates to them. Cheap when nothing changed.
    /// </summary>
    private void SyncPeersWithConfiguration()
    {
        if (_core is null || _peerOverrides is not null) return;
        var configuration = Core.Configuration;
        var initial = _peersConfiguration is null;
        var changed = !ReferenceEquals(configuration, _peersConfiguration);
        if (!changed && _peers.Count == _peersConfiguration!.Members.Count(m => m != _settings.NodeId)) return;
        if (changed && !initial && !configuration.Members.Order().SequenceEqual(_peersConfiguration!.Members.Order()))
            _formatGate = null; // rebuilt over the new members (RaftNode.CommandFormats.cs)
        _peersConfiguration = configuration;

        var members = MembersOf(configuration).Where(id => id != _settings.NodeId).ToHashSet();
        var protocol = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.Protocol;
        foreach (var id in members)
        {
            if (EndpointOf(id, configuration) is not { } endpoint) continue;
            var address = new Address(protocol, Context.System.Name, endpoint.Host, endpoint.Port);
            if (_peerAddresses.TryGetValue(id, out var known) && known.Equals(address)) continue;
            if (!initial)
                _log.Info("Node {0}: member {1} is at {2} (configuration: {3})", _settings.NodeId, id, endpoint, configuration);
            _peerAddresses[id] = address;
            _peers[id] = Context.ActorSelection($"{address}/user/{ActorName}/{RunningName}");
        }
        // A leader that removed itself leads until its removal commits (dissertation §4.2.2): its followers keep it as a
        // peer meanwhile, or they would refuse the appends that commit the removal and elect another after a timeout.
        foreach (var id in _peers.Keys.Where(id => !members.Contains(id) && !Core.IsReplicatingTo(id) && Core.Status.LeaderId != id).ToList())
        {
            _log.Info("Node {0}: node {1} is no longer a member; no longer a peer", _settings.NodeId, id);
            _peers.Remove(id);
            _peerAddresses.Remove(id);
        }
    }

    private bool IsPeer(int nodeId) => _peers.ContainsKey(nodeId);

    private void Send(IReadOnlyList<RaftMessage> messages)
    {
        foreach (var message in messages)
        {
            var peer = _peers.GetValueOrDefault(message.To)
                // A member added by an entry this very Ready carries: it becomes a peer now rather than at the next tick.
                ?? (!ReferenceEquals(_core?.Configuration, _peersConfiguration) ? SyncThenFind(message.To) : null);
            if (peer is not null)
            {
                peer.Tell(message, Self);
                _observations.Metrics.PeerMessageSent(message);
            }
            else _log.Debug("Dropped {0} to unknown peer {1}", message.GetType().Name, message.To);
        }
    }

    private ICanTell? SyncThenFind(int peer)
    {
        SyncPeersWithConfiguration();
        return _peers.GetValueOrDefault(peer);
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
