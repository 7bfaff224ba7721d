namespace DistStack.Actors.Actors;

/// <summary>
/// The leader's watch for followers that stopped answering while it keeps sending to them (every heartbeat).
/// Raft alone cannot repair a broken transport: when Akka.Remote leaves one direction of an association dead
/// (a connection one side gave up on while the other keeps writing into it), the follower still hears the leader,
/// never campaigns, and its answers vanish, so the leader never replicates to it again. Such a follower is "due"
/// for a transport reset after <paramref name="silenceTicks"/> without any replication answer, and again every
/// <paramref name="silenceTicks"/> while the silence lasts (a dead or partitioned follower is reset now and then
/// too, which costs nothing: its connection is down anyway). Plain C#; time is counted in Raft ticks.
/// </summary>
internal sealed class SilentPeerWatch(long silenceTicks)
{
    private readonly Dictionary<int, long> _lastHeard = [];

    public long SilenceTicks { get; } = silenceTicks > 0
        ? silenceTicks
        : throw new ArgumentOutOfRangeException(nameof(silenceTicks), "must be positive");

    /// <summary>We became leader (or the peer set changed): every follower starts with a clean slate.</summary>
    public void Restart(IEnumerable<int> peers, long now)
    {
        _lastHeard.Clear();
        foreach (var peer in peers) _lastHeard[peer] = now;
    }

    /// <summary>A replication answer (append, heartbeat or snapshot response) arrived from <paramref name="peer"/>.</summary>
    public void Heard(int peer, long now)
    {
        if (_lastHeard.ContainsKey(peer)) _lastHeard[peer] = now;
    }

    /// <summary>Followers silent for the whole window; each is re-armed, so it is due again only after another window.</summary>
    public IReadOnlyList<int> Due(long now)
    {
        List<int>? due = null;
        foreach (var (peer, heard) in _lastHeard)
        {
            if (now - heard < SilenceTicks) continue;
            (due ??= []).Add(peer);
        }
        if (due is null) return [];
        foreach (var peer in due) _lastHeard[peer] = now;
        return due;
    }
}
