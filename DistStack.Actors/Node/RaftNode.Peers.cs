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
    /// How long a follower may leave the leader without any replication answer before the leader tells it so
    /// (a <see cref="PeerSilenceNotice"/> at every heartbeat; the follower then resets its own side): two election
    /// timeouts (1 s), so a slow or briefly paused follower is left alone, but far below Akka's own transport failure
    /// detector (which a one-way black hole never trips: the leader's heartbeats keep the follower's end of the
    /// connection "alive"). Measured: after a SIGKILLed node restarted and was elected, a follower's answers to it
    /// went into a dead endpoint; notices starting at 2 s, behind the leader's own reset and its 1 s gate, made a
    /// write forwarded through that follower wait 4-5 s.
    /// </summary>
    private long SilenceNoticeTicks => Math.Max(1, _settings.ElectionTicks * 2L);

    /// <summary>
    /// How long before the leader resets its own side as well: six election timeouts (3 s), after the follower's
    /// own repair had its chance (a reset gates the leader's heartbeats and notices to that follower for 1 s). A
    /// reset costs a 1 s gate and a reconnect, nothing a silent follower still had. Also how often a follower
    /// resets its own side at most.
    /// </summary>
    private long SilentPeerTicks => Math.Max(1, _settings.ElectionTicks * 6L);

    /// <summary>When this incarnation last heard any Raft message from each peer, in ticks (display and silence notices).</summary>
    private readonly Dictionary<int, long> _lastHeardTick = [];

    /// <summary>When this node last reset its own side of the association to each peer because that peer said it hears nothing from us.</summary>
    private readonly Dictionary<int, long> _lastSelfResetTick = [];

    private void NotePeerMessage(RaftMessage message)
    {
        _lastHeardTick[message.From] = Ticks;
        if (_silentPeers is null || !_watchingAsLeader) return;
        // Replication answers prove both directions work; a vote request or a forwarded read proves only the
        // follower's direction to us does (a follower that asks for votes hears no leader).
        if (message is AppendEntriesResponse or HeartbeatResponse or InstallSnapshotResponse)
            _silentPeers.Heard(message.From, Ticks);
        else if (message is RequestVote or ReadIndexRequest)
            _silentPeers.HeardOther(message.From, Ticks);
    }

    /// <summary>Milliseconds since this node last heard a Raft message from <paramref name="peer"/>; null = never.</summary>
    private long? MillisecondsSinceHeard(int peer) =>
        _lastHeardTick.TryGetValue(peer, out var tick) ? TicksToMilliseconds(Ticks - tick) : null;

    /// <summary>
    /// On every tick: a leader resets the transport to followers silent for <see cref="SilentPeerTicks"/> (or for
    /// <see cref="SilenceNoticeTicks"/> while they still send it vote requests or reads: then the leader's own
    /// direction is the dead one), and at each heartbeat tells every follower silent for
    /// <see cref="SilenceNoticeTicks"/> how long it has been silent (<see cref="PeerSilenceNotice"/>). The reset
    /// is Akka.Remote's "quarantine without a UID", which does NOT quarantine: it stops this side's endpoints for that
    /// address and gates it for retry-gate-closed-for (1 s), and the next message opens a fresh connection. It repairs
    /// only THIS side: a follower whose own endpoint to us is dead (it still hears us on a connection we opened) goes
    /// on writing its answers into the dead one, so the notice makes it reset its side too (OnPeerSilenceNotice).
    /// </summary>
    private void WatchSilentPeers()
    {
        if (!IsLeader || _peerAddresses.Count == 0)
        {
            _watchingAsLeader = false;
            return;
        }
        _silentPeers ??= new SilentPeerWatch(SilentPeerTicks, SilenceNoticeTicks);
        if (!_watchingAsLeader)
        {
            _watchingAsLeader = true;
            _silentPeers.Restart(_peerAddresses.Keys, Ticks);
            return;
        }
        foreach (var peer in _silentPeers.Due(Ticks))
        {
            var (silentTicks, talksToUs) = _silentPeers.Silence(peer, Ticks);
            _log.Warning(
                "Node {0} (leader in term {1}) heard no replication answer from node {2} for {3} ms while sending to it{4}; " +
                "resetting this side's Akka.Remote association (gated, not quarantined)",
                _settings.NodeId, _clients!.Term, peer, TicksToMilliseconds(silentTicks),
                talksToUs ? ", although it sends us vote requests or reads (it does not hear us)" : "");
            ResetTransportTo(peer);
        }
        if (Ticks % Math.Max(1, _settings.HeartbeatTicks) != 0) return;
        foreach (var (peer, silentTicks) in _silentPeers.Silent(Ticks))
            if (_peers.TryGetValue(peer, out var follower))
                follower.Tell(new PeerSilenceNotice(_settings.ClusterId, _settings.NodeId, peer, TicksToMilliseconds(silentTicks)), Self);
    }

    /// <summary>
    /// A peer hears us send nothing although we hear it: our side of the association (our writer, or the inbound
    /// connection we write on) is dead. Reset it, at most once per silence window, so the fresh connection has time
    /// to prove itself before the next notice can count.
    /// </summary>
    private void OnPeerSilenceNotice(PeerSilenceNotice notice)
    {
        if (_core is null || notice.To != _settings.NodeId || !IsPeer(notice.From)) return;
        if (!AcceptFromPeer(nameof(PeerSilenceNotice), notice.ClusterId, notice.From)) return;
        _lastHeardTick[notice.From] = Ticks;
        // Once per window: the fresh connection needs the 1 s gate plus a round trip to prove itself.
        if (_lastSelfResetTick.TryGetValue(notice.From, out var last) && Ticks - last < 2 * SilenceNoticeTicks) return;
        _lastSelfResetTick[notice.From] = Ticks;
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
