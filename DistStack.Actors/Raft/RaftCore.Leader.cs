namespace DistStack.Actors.Raft;

/// <summary>The leader's tick (heartbeats, check-quorum, transfer timeout) and step.</summary>
public sealed partial class RaftCore
{
    private readonly Dictionary<int, FollowerProgress> _progress = [];

    private void TickLeader()
    {
        _heartbeatElapsed++;
        _electionElapsed++;

        if (_transferTarget != None && ++_transferElapsed >= _options.ElectionTicks)
            AbortTransfer(); // §3.10: the target did not take over within an election timeout.

        if (_electionElapsed >= _options.ElectionTicks)
        {
            _electionElapsed = 0;
            if (_options.CheckQuorum && !QuorumRecentlyActive())
            {
                // Cut off from a majority: another leader may already exist; stop serving (and holding reads).
                BecomeFollower(_term, None);
                return;
            }
            foreach (var progress in _progress.Values) progress.RecentActive = false;
        }

        if (_heartbeatElapsed >= _options.HeartbeatTicks) BroadcastHeartbeat();
        ForgetDepartedWhoKnow();
        MaybeRecordStorageIds();
    }

    private bool QuorumRecentlyActive()
    {
        var active = _configuration.Voters.Count(v =>
            v == _id || (_progress.TryGetValue(v, out var p) && p.RecentActive && AnswersCount(_configuration, v)));
        return active >= Quorum;
    }

    private void StepLeader(RaftMessage message)
    {
        // For strict reconfiguration and a learner's catch-up (RaftCore.Membership.cs): when we last heard from each.
        if (_progress.TryGetValue(message.From, out var heard))
        {
            heard.LastHeardAt = _now;
            if (message is IStorageStamped answer) NoteStorage(heard, answer);
        }
        switch (message)
        {
            case AppendEntriesResponse response:
                HandleAppendEntriesResponse(response);
                break;
            case HeartbeatResponse response:
                HandleHeartbeatResponse(response);
                break;
            case InstallSnapshotResponse response:
                HandleInstallSnapshotResponse(response);
                break;
        }
    }

    private void SyncProgressWithConfiguration()
    {
        // Learners are replicated to like voters; only the quorum counts tell them apart.
        foreach (var peer in _configuration.Members)
        {
            // A departing node added back is a new node as far as we know (the documented replacement wipes its disk
            // in between): the match index we kept describes the old disk. Trusted, it stalls the new one (its
            // rejections at or below it look stale) and could make it look caught up, so it starts from nothing.
            if (_departing.Remove(peer)) _progress.Remove(peer);
            if (peer != _id && !_progress.ContainsKey(peer))
                _progress[peer] = new FollowerProgress(_log.LastIndex + 1, _options.MaxInflightAppends);
        }
        foreach (var gone in _progress.Keys.Where(k => !_configuration.IsMember(k)).ToList())
            Depart(gone);
    }

    /// <summary>Leaving the leader role: pending reads can no longer be confirmed; say so rather than hang.</summary>
    private void LeaveLeadership()
    {
        foreach (var (requestId, origin) in _reads.TakeAll())
            AnswerRead(requestId, origin, 0, ReadRejection.LostLeadership);
        _progress.Clear();
        _departing.Clear();
    }
}
