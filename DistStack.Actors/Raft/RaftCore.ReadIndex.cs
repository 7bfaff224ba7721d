namespace DistStack.Actors.Raft;

/// <summary>
/// Linearizable reads without writing the log (dissertation §6.4). The leader answers with its commit index
/// once (1) it has committed an entry of its own term, so that index covers every write acknowledged before,
/// and (2) a quorum has echoed a heartbeat round started after the read arrived, so it was still leader then.
/// Nothing waits forever: every path that can no longer answer rejects instead.
/// </summary>
public sealed partial class RaftCore
{
    private readonly ReadIndexQueue _reads = new();

    /// <summary>
    /// Follower: batches of reads forwarded to a leader, by the batch's id (its first read's request id), with the
    /// leader and term they went to and the reads they answer for.
    /// </summary>
    private readonly Dictionary<long, ForwardedReadBatch> _forwardedReads = [];

    /// <summary><paramref name="ArrivedAt"/>: when its oldest read arrived (ticks); the batch expires by its oldest read's age.</summary>
    private sealed record ForwardedReadBatch(int Leader, long Term, long SentAt, long ArrivedAt, List<long> RequestIds);

    /// <summary>Follower: reads not forwarded yet; they go as one batch at the next Ready (see <see cref="ForwardReadsWanted"/>).</summary>
    private readonly List<long> _readsToForward = [];
    private long _oldestReadToForwardArrivedAt;

    private readonly List<ReadState> _readStates = [];

    /// <summary>Leader: the last heartbeat round started, and the highest one a quorum has echoed.</summary>
    private long _readRound;
    private long _confirmedRound;

    /// <summary>
    /// Ask for a linearizable read index (dissertation §6.4). The answer arrives in a later Ready's ReadStates
    /// with the same <paramref name="requestId"/> (unique per node, chosen by the shell).
    /// </summary>
    public void ReadIndex(long requestId)
    {
        if (_role == RaftRole.Leader)
        {
            AcceptRead(requestId, _id, _now);
            return;
        }
        if (_leaderId == None)
        {
            _readStates.Add(new ReadState(requestId, 0, ReadRejection.NoLeader));
            return;
        }
        if (_readsToForward.Count == 0) _oldestReadToForwardArrivedAt = _now;
        _readsToForward.Add(requestId);
    }

    /// <summary>
    /// A follower forwards its reads as one ReadIndexRequest per batch, and one batch at a time (as etcd's read loop
    /// does): every read that arrives while a batch is out shares the next one, so a busy follower sends one request
    /// and the leader confirms one read per round trip instead of one per client. A batch unanswered after a
    /// heartbeat interval no longer holds the next one back (its answer may be lost; it still expires on its own).
    /// </summary>
    private bool ForwardReadsWanted =>
        _readsToForward.Count > 0 && (_role == RaftRole.Leader || _leaderId == None || !RecentBatchOutToLeader());

    /// <summary>Asked by every HasReady while reads wait, so a plain loop (the batches out are one or two).</summary>
    private bool RecentBatchOutToLeader()
    {
        foreach (var batch in _forwardedReads.Values)
            if (batch.Leader == _leaderId && batch.Term == _term && _now - batch.SentAt < _options.HeartbeatTicks) return true;
        return false;
    }

    private void ForwardReadsIfWanted()
    {
        if (!ForwardReadsWanted) return;
        var requestIds = _readsToForward.ToList();
        _readsToForward.Clear();
        if (_role == RaftRole.Leader)
        {
            // Elected while they waited: confirm them ourselves.
            foreach (var requestId in requestIds) AcceptRead(requestId, _id, _now);
            return;
        }
        if (_leaderId == None)
        {
            AnswerForwarded(requestIds, 0, ReadRejection.NoLeader);
            return;
        }
        var batchId = requestIds[0];
        _forwardedReads[batchId] = new ForwardedReadBatch(_leaderId, _term, _now, _oldestReadToForwardArrivedAt, requestIds);
        Send(new ReadIndexRequest(ClusterId, _id, _leaderId, _term, batchId));
    }

    private void AcceptRead(long requestId, int origin, long arrivedAt)
    {
        if (_transferTarget != None)
        {
            // Our leadership is about to end: a read confirmed now could be stale by the time it is served.
            AnswerRead(requestId, origin, 0, ReadRejection.LeadershipTransfer);
            return;
        }
        if (_log.Term(_log.Committed) != _term)
        {
            // Our commit index may still be behind what previous leaders committed: wait for our no-op.
            _reads.AwaitOwnTermCommit(requestId, origin, arrivedAt);
            return;
        }
        QueueForConfirmation(requestId, origin, arrivedAt);
    }

    private void QueueForConfirmation(long requestId, int origin, long arrivedAt)
    {
        if (_configuration.Voters is [var only] && only == _id)
        {
            // A single voter is its own quorum: no one else can have been elected.
            AnswerRead(requestId, origin, _log.Committed, null);
            return;
        }
        // The round starts when the shell next collects a Ready (StartReadRoundIfWanted): every read that arrives
        // until then shares it.
        _reads.AwaitRound(new PendingRead(requestId, origin, _log.Committed, _readRound + 1, arrivedAt));
    }

    /// <summary>
    /// Reads wait for a round that has not started yet, and no round is out: the leader keeps one read round in
    /// flight (as etcd does), so every read that arrives meanwhile shares the next one, and a busy leader sends a
    /// heartbeat per peer per round trip instead of one per Ready. Rounds the heartbeat timer starts are not held
    /// back, so a lost echo delays reads by at most a heartbeat interval.
    /// </summary>
    private bool ReadRoundWanted =>
        _role == RaftRole.Leader && _reads.HighestWaitingRound > _readRound && _confirmedRound >= _readRound;

    private void StartReadRoundIfWanted()
    {
        if (ReadRoundWanted) BroadcastHeartbeat();
    }

    /// <summary>The leader committed an entry of its term: reads held for that may now start their round.</summary>
    private void OnOwnTermCommitted()
    {
        foreach (var (requestId, origin, arrivedAt) in _reads.TakeAwaitingOwnTermCommit())
            QueueForConfirmation(requestId, origin, arrivedAt);
    }

    private void AcknowledgeReadRound(int from, long round)
    {
        if (!_progress.TryGetValue(from, out var progress) || round <= progress.ReadRoundAcked) return;
        progress.ReadRoundAcked = Math.Min(round, _readRound);

        var acked = _configuration.Voters
            .Select(v => !AnswersCount(_configuration, v) ? 0 : v == _id ? _readRound : _progress[v].ReadRoundAcked)
            .OrderDescending()
            .ToList();
        var confirmed = acked[Quorum - 1];
        if (confirmed <= _confirmedRound) return;
        _confirmedRound = confirmed;

        foreach (var read in _reads.TakeConfirmed(confirmed))
            AnswerRead(read.RequestId, read.Origin, read.Index, null);
    }

    private void AnswerRead(long requestId, int origin, long index, ReadRejection? rejection)
    {
        if (origin == _id) _readStates.Add(new ReadState(requestId, index, rejection));
        else Send(new ReadIndexResponse(ClusterId, _id, origin, _term, requestId, index, rejection));
    }

    private void HandleReadIndexRequest(ReadIndexRequest request)
    {
        if (_role != RaftRole.Leader)
        {
            // Always answer: the follower's client must not wait for a leader that is not one.
            Send(new ReadIndexResponse(ClusterId, _id, request.From, _term, request.RequestId, 0, ReadRejection.NoLeader));
            return;
        }
        AcceptRead(request.RequestId, request.From, _now);
    }

    private void HandleReadIndexResponse(ReadIndexResponse response)
    {
        if (!_forwardedReads.TryGetValue(response.RequestId, out var forwarded) || forwarded.Leader != response.From)
            return;
        _forwardedReads.Remove(response.RequestId);
        AnswerForwarded(forwarded.RequestIds, response.ReadIndex, response.Rejected);
    }

    /// <summary>This follower's own reads, answered together (a batch's answer, or its rejection).</summary>
    private void AnswerForwarded(List<long> requestIds, long index, ReadRejection? rejection)
    {
        foreach (var requestId in requestIds) _readStates.Add(new ReadState(requestId, index, rejection));
    }

    /// <summary>Forwarded reads whose leader or term is no longer current will never be answered: reject them.</summary>
    private void RejectStaleForwardedReads() =>
        RejectForwardedBatches(batch => batch.Leader != _leaderId || batch.Term != _term);

    private void RejectForwardedBatches(Func<ForwardedReadBatch, bool> rejected)
    {
        if (_forwardedReads.Count == 0) return;
        foreach (var (batchId, batch) in _forwardedReads.ToList())
        {
            if (!rejected(batch)) continue;
            _forwardedReads.Remove(batchId);
            AnswerForwarded(batch.RequestIds, 0, ReadRejection.LostLeadership);
        }
    }

    /// <summary>
    /// A read still unanswered after <see cref="ReadTimeoutTicks"/> will most likely never be: a lost request or
    /// answer, or (without check-quorum) a leader that lost its quorum without noticing. Reject it so that no
    /// client waits forever; the shell may retry.
    /// </summary>
    private int ReadTimeoutTicks => 2 * _options.ElectionTicks;

    private void ExpireReads()
    {
        var deadline = _now - ReadTimeoutTicks;
        if (_role == RaftRole.Leader)
        {
            foreach (var (requestId, origin) in _reads.TakeArrivedBy(deadline))
                AnswerRead(requestId, origin, 0, ReadRejection.LostLeadership);
        }
        RejectForwardedBatches(batch => batch.ArrivedAt <= deadline);
    }
}
