namespace DistStack.Actors.Shell;

/// <summary>
/// The leader's watch for followers that stopped answering while it keeps sending to them (every heartbeat).
/// Raft alone cannot repair a broken transport: when Akka.Remote leaves one direction of an association dead
/// (a connection one side gave up on while the other keeps writing into it), the follower still hears the leader,
/// never campaigns, and its answers vanish, so the leader never replicates to it again. Such a follower is
/// <see cref="Silent"/> once it has sent no replication answer for <paramref name="noticeAfterTicks"/> (RaftNode then
/// tells it at every heartbeat, in a PeerSilenceNotice, because only the follower can reset its own side, and its
/// side is the one that breaks when the leader's messages still arrive), and "due" for a reset of the leader's own
/// side of the association once per <paramref name="silenceTicks"/> window while the silence lasts, a longer
/// window, so the follower's repair (and its 1 s retry gate) plays out first and the leader's reset, which gates
/// its heartbeats and notices for a second, is the second line. A dead or partitioned follower is reset now and
/// then too, which costs nothing: its connection is down anyway. Plain C#; time is counted in Raft ticks.
/// </summary>
public sealed class SilentPeerWatch(long silenceTicks, long? noticeAfterTicks = null)
{
    private readonly Dictionary<int, (long Heard, long Reset, long HeardOther)> _peers = [];

    private const long Never = long.MinValue / 4;

    public long SilenceTicks { get; } = silenceTicks > 0
        ? silenceTicks
        : throw new ArgumentOutOfRangeException(nameof(silenceTicks), "must be positive");

    public long NoticeAfterTicks { get; } = noticeAfterTicks is null ? silenceTicks
        : noticeAfterTicks > 0 && noticeAfterTicks <= silenceTicks ? noticeAfterTicks.Value
        : throw new ArgumentOutOfRangeException(nameof(noticeAfterTicks), "must be positive and at most the reset window");

    /// <summary>We became leader (or the peer set changed): every follower starts with a clean slate.</summary>
    public void Restart(IEnumerable<int> peers, long now)
    {
        _peers.Clear();
        foreach (var peer in peers) _peers[peer] = (now, Never, Never);
    }

    /// <summary>A replication answer (append, heartbeat or snapshot response) arrived from <paramref name="peer"/>.</summary>
    public void Heard(int peer, long now)
    {
        if (_peers.TryGetValue(peer, out var state)) _peers[peer] = state with { Heard = now };
    }

    /// <summary>
    /// Another message arrived from <paramref name="peer"/>: a vote request (its election timer fired: it hears
    /// no leader) or a read it forwards. Its direction to us works, so if it answers no replication, it is our
    /// direction to it that is dead.
    /// </summary>
    public void HeardOther(int peer, long now)
    {
        if (_peers.TryGetValue(peer, out var state)) _peers[peer] = state with { HeardOther = now };
    }

    /// <summary>
    /// Followers whose link from us needs a reset of our side: silent for the whole window, or silent for
    /// <see cref="NoticeAfterTicks"/> while they still send us other messages (our direction is the dead one: a
    /// notice would not reach them, and waiting the whole window costs seconds). Each is re-armed, so it is due again
    /// only after another window (for the second rule, two notice windows: the 1 s gate and a round trip).
    /// </summary>
    public IReadOnlyList<int> Due(long now)
    {
        List<int>? due = null;
        foreach (var (peer, state) in _peers)
        {
            var silentFor = now - state.Heard;
            var sinceReset = now - state.Reset;
            var silentWhileTalking = silentFor >= NoticeAfterTicks && state.HeardOther > state.Heard;
            if ((silentFor >= SilenceTicks && sinceReset >= SilenceTicks) ||
                (silentWhileTalking && sinceReset >= 2 * NoticeAfterTicks))
                (due ??= []).Add(peer);
        }
        if (due is null) return [];
        foreach (var peer in due) _peers[peer] = _peers[peer] with { Reset = now };
        return due;
    }

    /// <summary>How long <paramref name="peer"/> has sent no replication answer, and whether it sent us anything else meanwhile.</summary>
    public (long SilentTicks, bool TalksToUs) Silence(int peer, long now) =>
        _peers.TryGetValue(peer, out var state) ? (now - state.Heard, state.HeardOther > state.Heard) : (0, false);

    /// <summary>Every follower silent for at least <see cref="NoticeAfterTicks"/>, with how many ticks it has been silent.</summary>
    public IReadOnlyList<(int Peer, long SilentTicks)> Silent(long now)
    {
        List<(int, long)>? silent = null;
        foreach (var (peer, state) in _peers)
            if (now - state.Heard >= NoticeAfterTicks) (silent ??= []).Add((peer, now - state.Heard));
        return silent ?? (IReadOnlyList<(int, long)>)[];
    }
}
