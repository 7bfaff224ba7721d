namespace DistStack.Actors.Raft;

/// <summary>How the leader is currently feeding one follower.</summary>
internal enum ReplicationState : byte
{
    /// <summary>Looking for where our logs agree: one AppendEntries at a time.</summary>
    Probe,

    /// <summary>Logs agree up to Match: stream batches, up to MaxInflightAppends unacknowledged.</summary>
    Replicate,

    /// <summary>The follower needs compacted entries: a snapshot is being sent, one chunk at a time.</summary>
    Snapshot,
}

/// <summary>
/// The leader's view of one follower (Figure 2's nextIndex/matchIndex plus flow control, as etcd's Progress).
/// </summary>
internal sealed class FollowerProgress(long next, int maxInflight)
{
    private readonly Queue<long> _inflight = new();

    /// <summary>Highest index known to be durable on the follower and to match our log.</summary>
    public long Match { get; private set; }

    /// <summary>Next index to send.</summary>
    public long Next { get; set; } = next;

    public ReplicationState State { get; private set; } = ReplicationState.Probe;

    /// <summary>Probe state: an AppendEntries is out and unanswered.</summary>
    public bool ProbeSent { get; set; }

    /// <summary>
    /// The commit index this follower has been told about for entries it holds (the leader commit of the last
    /// append or heartbeat, capped by what that message let it hold).
    /// </summary>
    public long CommitSent { get; set; }

    /// <summary>Heard from since the last check-quorum round.</summary>
    public bool RecentActive { get; set; }

    /// <summary>The leader's tick when it last heard from this follower; null if never in this term.</summary>
    public long? LastHeardAt { get; set; }

    /// <summary>Highest ReadIndex round this follower confirmed by echoing its heartbeat (§6.4).</summary>
    public long ReadRoundAcked { get; set; }

    /// <summary>Snapshot state: the snapshot being sent and the offset of the chunk in flight.</summary>
    public long PendingSnapshotIndex { get; private set; }
    public long SnapshotOffset { get; set; }

    private bool _snapshotChunkSentSinceCheck;

    public void SnapshotChunkSent() => _snapshotChunkSentSinceCheck = true;

    /// <summary>True when no chunk went out since the previous check: the one in flight was probably lost.</summary>
    public bool SnapshotStalledSinceLastCheck()
    {
        var stalled = !_snapshotChunkSentSinceCheck;
        _snapshotChunkSentSinceCheck = false;
        return stalled;
    }

    public bool InflightFull => _inflight.Count >= maxInflight;
    public int InflightCount => _inflight.Count;

    public bool IsPaused => State switch
    {
        ReplicationState.Probe => ProbeSent,
        ReplicationState.Replicate => InflightFull,
        _ => true,
    };

    public void BecomeProbe()
    {
        // After a snapshot, its acknowledgement already moved Match past what the follower holds.
        Next = Match + 1;
        State = ReplicationState.Probe;
        ProbeSent = false;
        PendingSnapshotIndex = 0;
        _inflight.Clear();
    }

    public void BecomeReplicate()
    {
        State = ReplicationState.Replicate;
        Next = Match + 1;
        ProbeSent = false;
        _inflight.Clear();
    }

    public void BecomeSnapshot(long snapshotIndex)
    {
        State = ReplicationState.Snapshot;
        PendingSnapshotIndex = snapshotIndex;
        SnapshotOffset = 0;
        ProbeSent = false;
        _inflight.Clear();
    }

    /// <summary>
    /// The storage id of the follower's last answer (0 until it answers, or from a build without storage ids): its
    /// acknowledgements count only when the configuration records this storage for it.
    /// </summary>
    public ulong StorageId { get; set; }

    /// <summary>
    /// The follower answered from another storage than before: its disk was lost and it came back blank. What we
    /// knew of its log (Match, and the rounds it confirmed) was about the lost storage: start over as with a new
    /// follower, probing from <paramref name="next"/>, or it would reject every append below a Match it no longer holds.
    /// </summary>
    public void ForgetLostStorage(long next)
    {
        Match = 0;
        CommitSent = 0;
        ReadRoundAcked = 0;
        BecomeProbe();
        Next = next;
    }

    /// <summary>A successful acknowledgement up to <paramref name="index"/>. True when Match moved.</summary>
    public bool MaybeUpdate(long index)
    {
        var updated = false;
        if (index > Match)
        {
            Match = index;
            updated = true;
        }
        Next = Math.Max(Next, index + 1);
        ProbeSent = false;
        return updated;
    }

    /// <summary>An AppendEntries ending at <paramref name="lastIndex"/> went out.</summary>
    public void SentEntries(long lastIndex)
    {
        switch (State)
        {
            case ReplicationState.Replicate:
                Next = lastIndex + 1;
                _inflight.Enqueue(lastIndex);
                break;
            case ReplicationState.Probe:
                ProbeSent = true;
                break;
        }
    }

    /// <summary>Acknowledged up to <paramref name="index"/>: those appends are no longer in flight.</summary>
    public void FreeInflightUpTo(long index)
    {
        while (_inflight.Count > 0 && _inflight.Peek() <= index) _inflight.Dequeue();
    }

    /// <summary>
    /// A heartbeat answered while the window is full: some append was probably lost. Free one slot so the
    /// next append goes out; if the follower misses entries it rejects it and we fall back to probing.
    /// </summary>
    public void FreeOneInflight()
    {
        if (_inflight.Count > 0) _inflight.Dequeue();
    }
}
