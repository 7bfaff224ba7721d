namespace DistStack.Actors.Raft;

/// <summary>
/// A read waiting on the leader (§6.4). <see cref="Origin"/> is the node whose client asked (this node, or a
/// follower that forwarded it); <see cref="Round"/> is the first heartbeat round started after the read arrived,
/// whose confirmation by a quorum proves we were still leader when it arrived. <see cref="ArrivedAt"/> is in
/// ticks, so a read that cannot be confirmed is eventually rejected rather than left waiting.
/// </summary>
internal readonly record struct PendingRead(long RequestId, int Origin, long Index, long Round, long ArrivedAt);

/// <summary>The leader's reads: those waiting for the first commit of its term, then those waiting for a round.</summary>
internal sealed class ReadIndexQueue
{
    private readonly List<(long RequestId, int Origin, long ArrivedAt)> _awaitingOwnTermCommit = [];
    private readonly List<PendingRead> _awaitingRound = [];

    public int Count => _awaitingOwnTermCommit.Count + _awaitingRound.Count;

    /// <summary>Rounds are numbered in increasing order, so the last waiting read has the highest round.</summary>
    public long HighestWaitingRound => _awaitingRound.Count == 0 ? 0 : _awaitingRound[^1].Round;

    public void AwaitOwnTermCommit(long requestId, int origin, long arrivedAt) =>
        _awaitingOwnTermCommit.Add((requestId, origin, arrivedAt));

    public IReadOnlyList<(long RequestId, int Origin, long ArrivedAt)> TakeAwaitingOwnTermCommit()
    {
        var taken = _awaitingOwnTermCommit.ToList();
        _awaitingOwnTermCommit.Clear();
        return taken;
    }

    public void AwaitRound(PendingRead read) => _awaitingRound.Add(read);

    /// <summary>Reads whose round a quorum has confirmed, in arrival order.</summary>
    public IReadOnlyList<PendingRead> TakeConfirmed(long confirmedRound)
    {
        var count = 0;
        while (count < _awaitingRound.Count && _awaitingRound[count].Round <= confirmedRound) count++;
        var taken = _awaitingRound.GetRange(0, count);
        _awaitingRound.RemoveRange(0, count);
        return taken;
    }

    /// <summary>Reads that arrived at or before <paramref name="deadline"/> (in ticks) and are still waiting.</summary>
    public IReadOnlyList<(long RequestId, int Origin)> TakeArrivedBy(long deadline)
    {
        if (Count == 0) return [];
        var expired = _awaitingOwnTermCommit.Where(r => r.ArrivedAt <= deadline).Select(r => (r.RequestId, r.Origin))
            .Concat(_awaitingRound.Where(r => r.ArrivedAt <= deadline).Select(r => (r.RequestId, r.Origin)))
            .ToList();
        _awaitingOwnTermCommit.RemoveAll(r => r.ArrivedAt <= deadline);
        _awaitingRound.RemoveAll(r => r.ArrivedAt <= deadline);
        return expired;
    }

    /// <summary>Everything still waiting, for rejection when leadership is lost.</summary>
    public IReadOnlyList<(long RequestId, int Origin)> TakeAll()
    {
        var all = _awaitingOwnTermCommit.Select(r => (r.RequestId, r.Origin))
            .Concat(_awaitingRound.Select(r => (r.RequestId, r.Origin))).ToList();
        _awaitingOwnTermCommit.Clear();
        _awaitingRound.Clear();
        return all;
    }
}
