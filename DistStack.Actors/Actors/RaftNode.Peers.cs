using Akka.Event;
using Akka.Actor;
using Akka.Remote;
using DistStack.Actors.Raft;

namespace DistStack.Actors.Actors;

// Peers are the configured members, addressed by ActorSelection at <protocol>://<system>@host:port/user/raft-node.
// A selection resolves on every send, so a peer that restarted (new incarnation, new UID) is reached again
// without any re-identification. No remote DeathWatch (it quarantines) and no cluster events: Raft's own
// timeouts decide who is alive.
public sealed partial class RaftNode
{
    private IReadOnlyDictionary<int, ICanTell> _peers = new Dictionary<int, ICanTell>();
    private readonly Dictionary<int, Address> _peerAddresses = [];
    private SilentPeerWatch? _silentPeers;
    private bool _watchingAsLeader;

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
            if (_peers.TryGetValue(message.To, out var peer)) peer.Tell(message, Self);
            else _log.Debug("Dropped {0} to unknown peer {1}", message.GetType().Name, message.To);
        }
    }

    /// <summary>
    /// How long a follower may leave the leader without any replication answer before the leader resets its
    /// Akka.Remote associations with it: several election timeouts, so a slow or briefly paused follower is left
    /// alone, but far below Akka's own transport failure detector (which a one-way black hole never trips: the
    /// leader's heartbeats keep the follower's end of the connection "alive").
    /// </summary>
    private long SilentPeerTicks => Math.Max(1, _settings.ElectionTicks * 6L);

    /// <summary>Replication answers prove the follower-to-leader direction works.</summary>
    private void NotePeerAnswer(RaftMessage message)
    {
        if (_silentPeers is null || !_watchingAsLeader) return;
        if (message is AppendEntriesResponse or HeartbeatResponse or InstallSnapshotResponse)
            _silentPeers.Heard(message.From, _ticks);
    }

    /// <summary>
    /// On every tick: a leader resets the transport to followers silent for <see cref="SilentPeerTicks"/>. The reset
    /// is Akka.Remote's "quarantine without a UID", which does NOT quarantine: it stops this side's endpoints for that
    /// address and gates it for retry-gate-closed-for (1 s), so both sides drop the connection and the next message
    /// opens a fresh one in both directions. A peer that really is down or cut off loses nothing by it.
    /// </summary>
    private void WatchSilentPeers()
    {
        if (!IsLeader || _peerAddresses.Count == 0)
        {
            _watchingAsLeader = false;
            return;
        }
        _silentPeers ??= new SilentPeerWatch(SilentPeerTicks);
        if (!_watchingAsLeader)
        {
            _watchingAsLeader = true;
            _silentPeers.Restart(_peerAddresses.Keys, _ticks);
            return;
        }
        foreach (var peer in _silentPeers.Due(_ticks))
            ResetTransportTo(peer);
    }

    private void ResetTransportTo(int peer)
    {
        if (!_peerAddresses.TryGetValue(peer, out var address)) return;
        if (((ExtendedActorSystem)Context.System).Provider is not IRemoteActorRefProvider remote) return;
        _log.Warning(
            "Node {0} (leader in term {1}) heard no replication answer from node {2} for {3} ms while sending to it; " +
            "resetting the Akka.Remote association with {4} (gated, not quarantined) so a half-dead connection is replaced",
            _settings.NodeId, _term, peer, (long)(SilentPeerTicks * _settings.TickInterval.TotalMilliseconds), address);
        remote.Transport.Quarantine(address, null);
    }
}
