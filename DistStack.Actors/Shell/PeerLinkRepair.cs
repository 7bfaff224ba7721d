using DistStack.Actors.Raft;

namespace DistStack.Actors.Shell;

/// <summary>
/// When this node repairs its transport links to peers, decided here and carried out by RaftNode (which resets its
/// side of an Akka.Remote association and sends <c>PeerSilenceNotice</c>s). Raft alone cannot repair a broken
/// transport: a follower whose answers vanish into a dead connection still hears the leader, never campaigns, and
/// is never replicated to again (docs/post-mortem-one-way-association.md). The leader watches its followers
/// (<see cref="SilentPeerWatch"/>); a follower told that the leader hears nothing from it resets its own side.
/// Plain C#: time is counted in Raft ticks.
/// </summary>
public sealed class PeerLinkRepair
{
    private readonly int _heartbeatTicks;
    private readonly SilentPeerWatch _watch;
    private bool _watchingAsLeader;

    /// <summary>When this incarnation last heard any Raft message (or a notice) from each peer.</summary>
    private readonly Dictionary<int, long> _lastHeard = [];

    /// <summary>When this incarnation first heard each peer: from then on it answers that peer.</summary>
    private readonly Dictionary<int, long> _firstHeard = [];

    /// <summary>When this node last reset its own side of the link to each peer because that peer said it hears nothing from us.</summary>
    private readonly Dictionary<int, long> _lastSelfReset = [];

    public PeerLinkRepair(int electionTicks, int heartbeatTicks)
    {
        _heartbeatTicks = Math.Max(1, heartbeatTicks);
        _watch = new SilentPeerWatch(ResetAfterTicksFor(electionTicks), NoticeAfterTicksFor(electionTicks));
    }

    /// <summary>
    /// How long a follower may leave the leader without any replication answer before the leader tells it so (a
    /// notice at every heartbeat; the follower then resets its own side): two election timeouts (1 s), so a slow or
    /// briefly paused follower is left alone, but far below Akka's own transport failure detector (which a one-way
    /// black hole never trips: the leader's heartbeats keep the follower's end of the connection "alive"). Measured:
    /// after a SIGKILLed node restarted and was elected, a follower's answers to it went into a dead endpoint;
    /// notices starting at 2 s, behind the leader's own reset and its 1 s gate, made a write forwarded through that
    /// follower wait 4-5 s.
    /// </summary>
    public static long NoticeAfterTicksFor(int electionTicks) => Math.Max(1, electionTicks * 2L);

    /// <summary>
    /// How long before the leader resets its own side as well: six election timeouts (3 s), after the follower's
    /// own repair had its chance (a reset gates the leader's heartbeats and notices to that follower for 1 s). A
    /// reset costs a 1 s gate and a reconnect, nothing a silent follower still had. Also how often a follower
    /// resets its own side at most.
    /// </summary>
    public static long ResetAfterTicksFor(int electionTicks) => Math.Max(1, electionTicks * 6L);

    /// <summary>A Raft message from <paramref name="message"/>.From arrived.</summary>
    public void Heard(RaftMessage message, long now)
    {
        _lastHeard[message.From] = now;
        _firstHeard.TryAdd(message.From, now);
        if (!_watchingAsLeader) return;
        // Replication answers prove both directions work; a vote request or a forwarded read proves only the
        // follower's direction to us does (a follower that asks for votes hears no leader).
        if (message is AppendEntriesResponse or HeartbeatResponse or InstallSnapshotResponse)
            _watch.Heard(message.From, now);
        else if (message is RequestVote or ReadIndexRequest)
            _watch.HeardOther(message.From, now);
    }

    /// <summary>Ticks since this node last heard from <paramref name="peer"/>; null = never (in this incarnation).</summary>
    public long? TicksSinceHeard(int peer, long now) => _lastHeard.TryGetValue(peer, out var tick) ? now - tick : null;

    /// <summary>
    /// On every tick. A leader resets its side of the link to followers silent for the reset window (or for the
    /// notice window while they still send it vote requests or reads: then the leader's own direction is the dead
    /// one), and at each heartbeat tells every follower silent for the notice window how long it has been silent.
    /// Anyone else watches nothing; becoming leader starts every follower with a clean slate.
    /// </summary>
    public LinkRepairs Tick(bool isLeader, IReadOnlyCollection<int> peers, long now)
    {
        if (!isLeader || peers.Count == 0)
        {
            _watchingAsLeader = false;
            return LinkRepairs.None;
        }
        if (!_watchingAsLeader)
        {
            _watchingAsLeader = true;
            _watch.Restart(peers, now);
            return LinkRepairs.None;
        }
        List<SilentLink>? resets = null;
        foreach (var peer in _watch.Due(now))
        {
            var (silentTicks, talksToUs) = _watch.Silence(peer, now);
            (resets ??= []).Add(new SilentLink(peer, silentTicks, talksToUs));
        }
        List<SilentLink>? notices = null;
        if (now % _heartbeatTicks == 0)
            foreach (var (peer, silentTicks) in _watch.Silent(now))
                (notices ??= []).Add(new SilentLink(peer, silentTicks, TalksToUs: false));
        return resets is null && notices is null ? LinkRepairs.None : new LinkRepairs(resets ?? [], notices ?? []);
    }

    /// <summary>
    /// A peer says it hears nothing from us although we hear it: our side of the link (our writer, or the inbound
    /// connection we write on) is dead, so reset it. True at most once per two notice windows per peer, so that the
    /// fresh connection has time (the 1 s gate plus a round trip) to prove itself before the next notice counts.
    /// Never in this incarnation's first notice window with that peer: a restarted node's first heartbeat from the
    /// leader comes with a notice counting the silence since the old process died, and this process's connections
    /// are new; resetting one only gated it, and so the node's answers and the leader's heartbeats, for 1 s (every
    /// restart was ready about a second later than its recovery allowed). If its answers still vanish a window
    /// later, the next notice resets as before. An incarnation is this object's life: a new process, or RaftNode
    /// restarted by its supervisor in a process whose connections are old; a dead one is then reset one window later
    /// than it would have been, never left dead.
    /// </summary>
    public bool ResetOnNotice(int from, long now)
    {
        _lastHeard[from] = now;
        var first = _firstHeard.TryAdd(from, now) ? now : _firstHeard[from];
        if (now - first < _watch.NoticeAfterTicks) return false;
        if (_lastSelfReset.TryGetValue(from, out var last) && now - last < 2 * _watch.NoticeAfterTicks) return false;
        _lastSelfReset[from] = now;
        return true;
    }
}

/// <summary>A peer whose link is silent: for how many ticks, and whether it still sends us other messages.</summary>
public sealed record SilentLink(int Peer, long SilentTicks, bool TalksToUs);

/// <summary>What a tick asks for: links to reset on this side, and notices to send.</summary>
public sealed record LinkRepairs(IReadOnlyList<SilentLink> Resets, IReadOnlyList<SilentLink> Notices)
{
    public static readonly LinkRepairs None = new([], []);
}
