namespace DistStack.Actors.Raft;

/// <summary>Leadership transfer (dissertation §3.10).</summary>
public sealed partial class RaftCore
{
    private int _transferTarget;
    private int _transferElapsed;

    /// <summary>Hand leadership to <paramref name="target"/> (dissertation §3.10). Ignored unless leader.</summary>
    public void TransferLeadership(int target)
    {
        if (_role != RaftRole.Leader) return;
        if (target == _id)
        {
            AbortTransfer();
            return;
        }
        // Only a voter can be elected: a learner has progress too, but would ignore TimeoutNow.
        // Nor a voter whose disk was lost: it never campaigns (RaftCore.StorageIds.cs).
        if (!_configuration.Contains(target) || !_progress.TryGetValue(target, out var progress) ||
            !AnswersCount(_configuration, target) || _transferTarget == target)
            return;

        // Proposals are refused from now on (Propose), so the target can catch up with a log that stops growing.
        _transferTarget = target;
        _transferElapsed = 0;
        if (progress.Match == _log.LastIndex) SendTimeoutNow(target);
        else SendAppends(target, sendIfEmpty: true);
    }

    /// <summary>The transfer target just caught up with our whole log: it can win an election now.</summary>
    private void MaybeHandOver(int from, FollowerProgress progress)
    {
        if (from == _transferTarget && progress.Match == _log.LastIndex) SendTimeoutNow(from);
    }

    private void SendTimeoutNow(int target) => Send(new TimeoutNow(ClusterId, _id, target, _term));

    private void AbortTransfer()
    {
        _transferTarget = None;
        _transferElapsed = 0;
    }
}
