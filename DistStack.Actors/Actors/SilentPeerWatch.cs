namespace DistStack.Actors.Actors;

/// <summary>
/// The leader's watch for followers that stopped answering while it keeps sending to them (every heartbeat).
/// Raft alone cannot repair a broken transport: when Akka.Remote leaves one direction of an association dead
/// (a connection one side gave up on while the other keeps writing into it), the follower still hears the leader,
/// never campaigns, and its answers vanish, so the leader never replicates to it again. Such a follower is
/// <see cref="Silent"/> once it has sent no replication answer for <paramref name="silenceTicks"/>, and "due" for a
/// reset of the leader's side of the association once per window while the silence lasts (a dead or partitioned
/// follower is reset now and then too, which costs nothing: its connection is down anyway). The silence itself is
/// also told to the follower (RaftNode sends a PeerSilenceNotice), because only the follower can reset its own
/// side. Plain C#; time is counted in Raft ticks.
/// </summary>
internal sealed class SilentPeerWatch(long silenceTicks)
{
    private readonly Dictionary<int, (long Heard, long Reset)> _peers = [];

    public long SilenceTicks { get; } = silenceTicks > 0
        ? silenceTicks
        : throw new ArgumentOutOfRangeException(nameof(silenceTicks), "must be positive");

    /// <summary>We became leader (or the peer set changed): every follower starts with a clean slate.</summary>
    public void Restart(IEnumerable<int> peers, long now)
    {
        _peers.Clear();
        foreach (var peer in peers) _peers[peer] = (now, now);
    }

    /// <summary>A replication answer (append, heartbeat or snapshot response) arrived from <paramref name="peer"/>.</summary>
    public void Heard(int peer, long now)
    {
        if (_peers.TryGetValue(peer, out var state)) _peers[peer] = (now, state.Reset);
    }

    /// <summary>Followers silent for the whole window and not reset within it; each is re-armed, so it is due again only after another window.</summary>
    public IReadOnlyList<int> Due(long now)
    {
        List<int>? due = null;
        foreach (var (peer, state) in _peers)
        {
            if (now - state.Heard < SilenceTicks || now - state.Reset < SilenceTicks) continue;
            (due ??= []).Add(peer);
        }
        if (due is null) return [];
        foreach (var peer in due) _peers[peer] = (_peers[peer].Heard, now);
        return due;
    }

    /// <summary>Every follower silent for at least the window, with how many ticks it has been silent.</summary>
    public IReadOnlyList<(int Peer, long SilentTicks)> Silent(long now)
    {
        List<(int, long)>? silent = null;
        foreach (var (peer, state) in _peers)
            if (now - state.Heard >= SilenceTicks) (silent ??= []).Add((peer, now - state.Heard));
        return silent ?? (IReadOnlyList<(int, long)>)[];
    }
}
