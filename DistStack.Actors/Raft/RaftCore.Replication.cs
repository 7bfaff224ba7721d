namespace DistStack.Actors.Raft;

/// <summary>Log replication (§5.3), the commit rule (§5.4.2) and heartbeats.</summary>
public sealed partial class RaftCore
{
    private LogEntry AppendAsLeader(EntryKind kind, byte[] data)
    {
        var entry = new LogEntry(_log.LastIndex + 1, _term, kind, data);
        _log.Append(entry);
        if (kind == EntryKind.Configuration) RefreshConfiguration();
        // PERSISTENCE: our own write of this entry is in flight until Advance; we send it to followers already
        // (§10.2.1) but count ourselves toward its commit only once durable (MaybeCommit uses StableIndex).
        BroadcastAppend(sendIfEmpty: false);
        return entry;
    }

    private void BroadcastAppend(bool sendIfEmpty)
    {
        foreach (var peer in _progress.Keys) SendAppends(peer, sendIfEmpty);
    }

    /// <summary>Sends as much as the follower's flow control allows: one append in probe state, up to the window in replicate state.</summary>
    private void SendAppends(int to, bool sendIfEmpty = false)
    {
        if (!_progress.ContainsKey(to)) return;
        if (!TrySendAppend(to, sendIfEmpty)) return;
        while (TrySendAppend(to, sendIfEmpty: false)) { }
    }

    /// <summary>One AppendEntries (or a snapshot when the entries are compacted). True if entries went out.</summary>
    private bool TrySendAppend(int to, bool sendIfEmpty)
    {
        var progress = _progress[to];
        if (progress.IsPaused) return false;
        // Never beyond our log: nothing past it can be sent, and it is not "compacted" either.
        if (progress.Next > _log.LastIndex + 1) progress.Next = _log.LastIndex + 1;

        var prevIndex = progress.Next - 1;
        var prevTerm = _log.Term(prevIndex);
        var entries = _log.Batch(progress.Next, _options.MaxEntriesPerAppend, _options.MaxBytesPerAppend);
        if (prevTerm is null || entries is null)
        {
            SendSnapshot(to, progress);
            return false;
        }
        if (entries.Count == 0 && !sendIfEmpty) return false;

        // Messages, not MessagesAfterDurable: an append promises nothing about the leader's disk (§10.2.1).
        Send(new AppendEntries(ClusterId, _id, to, _term, prevIndex, prevTerm.Value, entries, _log.Committed));
        progress.CommitSent = Math.Max(progress.CommitSent, Math.Min(_log.Committed, prevIndex + entries.Count));
        if (entries.Count > 0)
        {
            progress.SentEntries(entries[^1].Index);
            return progress.State == ReplicationState.Replicate;
        }
        if (progress.State == ReplicationState.Probe) progress.ProbeSent = true;
        return false;
    }

    private void HandleAppendEntriesResponse(AppendEntriesResponse response)
    {
        if (!_progress.TryGetValue(response.From, out var progress)) return;
        progress.RecentActive = true;

        if (!response.Success)
        {
            HandleAppendRejection(response, progress);
            return;
        }

        var updated = progress.MaybeUpdate(response.MatchIndex);
        switch (progress.State)
        {
            case ReplicationState.Probe when response.MatchIndex >= progress.Match:
                // Found where we agree: stream from here on.
                progress.BecomeReplicate();
                break;
            case ReplicationState.Snapshot when progress.Match >= progress.PendingSnapshotIndex:
                progress.BecomeProbe();
                break;
            case ReplicationState.Replicate:
                progress.FreeInflightUpTo(response.MatchIndex);
                break;
        }

        // A new commit index must reach the followers (they apply only what they know committed).
        if (updated && MaybeCommit()) BroadcastAppend(sendIfEmpty: true);
        else SendAppends(response.From, sendIfEmpty: NeedsCommitUpdate(progress));

        MaybeHandOver(response.From, progress);
    }

    /// <summary>
    /// The follower's log did not match at the rejected index (carried in MatchIndex). Its hint lets us skip a
    /// whole conflicting term at once instead of one entry per round trip.
    /// </summary>
    private void HandleAppendRejection(AppendEntriesResponse response, FollowerProgress progress)
    {
        var rejected = response.MatchIndex;
        var stale = progress.State switch
        {
            ReplicationState.Replicate => rejected <= progress.Match,
            ReplicationState.Probe => rejected != progress.Next - 1,
            _ => true,
        };
        if (stale) return;

        long next;
        if (response.ConflictTerm == 0)
        {
            next = response.ConflictIndex; // its log is shorter: continue right after its end
        }
        else
        {
            // If we hold entries of the follower's conflicting term, our logs agree up to the last of them;
            // otherwise that whole term of its log is wrong: back up to its first entry of it.
            var lastOfTerm = _log.LastIndexOfTerm(response.ConflictTerm, rejected);
            next = lastOfTerm is { } last ? last + 1 : response.ConflictIndex;
        }
        next = Math.Max(progress.Match + 1, Math.Min(next, rejected));

        progress.BecomeProbe();
        progress.Next = next;
        SendAppends(response.From);
    }

    /// <summary>
    /// §5.4.2: commit the highest index held by a quorum, but only if it is of our term; older entries are
    /// committed indirectly with it (Figure 8). Our own copy counts only once durable.
    /// </summary>
    private bool MaybeCommit()
    {
        // A voter whose answers come from another storage than the one recorded for it counts as holding nothing.
        var matches = _configuration.Voters
            .Select(v => !AnswersCount(_configuration, v) ? 0 : v == _id ? _log.StableIndex : _progress[v].Match)
            .OrderDescending()
            .ToList();
        if (matches.Count == 0) return false;
        var quorumIndex = matches[Quorum - 1];
        if (quorumIndex <= _log.Committed || _log.Term(quorumIndex) != _term) return false;
        _log.CommitTo(quorumIndex);
        OnOwnTermCommitted();
        // Its followers were told and it stepped down: nothing more for the caller to broadcast.
        if (StepDownIfRemovalCommitted()) return false;
        return true;
    }

    /// <summary>The follower holds committed entries it has not been told are committed (it cannot apply them).</summary>
    private bool NeedsCommitUpdate(FollowerProgress progress) =>
        Math.Min(_log.Committed, progress.Match) > progress.CommitSent;

    private void BroadcastHeartbeat()
    {
        _heartbeatElapsed = 0;
        // Every heartbeat round is a ReadIndex round: an echo of it proves we still led when it was sent.
        _readRound++;
        foreach (var (peer, progress) in _progress)
        {
            // Never tell a follower to commit past what it is known to hold: it may hold a wrong entry there.
            var commit = Math.Min(progress.Match, _log.Committed);
            progress.CommitSent = Math.Max(progress.CommitSent, commit);
            Send(new Heartbeat(ClusterId, _id, peer, _term, commit, _readRound));
        }
    }

    private void HandleHeartbeatResponse(HeartbeatResponse response)
    {
        if (!_progress.TryGetValue(response.From, out var progress)) return;
        progress.RecentActive = true;
        progress.ProbeSent = false;

        if (progress.State == ReplicationState.Snapshot)
        {
            RetransmitStalledSnapshotChunk(response.From, progress);
        }
        else if (progress.Match < _log.LastIndex)
        {
            // A lagging follower: an append may have been lost; a full window frees one slot, and an empty
            // append at worst gets a rejection that puts us back to probing.
            if (progress.State == ReplicationState.Replicate && progress.InflightFull) progress.FreeOneInflight();
            SendAppends(response.From, sendIfEmpty: true);
        }

        AcknowledgeReadRound(response.From, response.ReadContext);
    }

    private void HandleAppendEntries(AppendEntries append)
    {
        var prevIndex = append.PrevLogIndex;
        var prevTerm = append.PrevLogTerm;
        IReadOnlyList<LogEntry> entries = append.Entries;

        // What we know committed matches every later leader's log (Leader Completeness): skip it, so a prefix
        // we may already have compacted is never compared.
        if (prevIndex < _log.Committed)
        {
            var skip = (int)Math.Min(entries.Count, _log.Committed - prevIndex);
            if (skip > 0) prevTerm = entries[skip - 1].Term;
            prevIndex += skip;
            entries = entries.Skip(skip).ToList();
            if (prevIndex < _log.Committed)
            {
                // PERSISTENCE: an acknowledgement promises the entries are durable: after the write.
                SendAfterDurable(new AppendEntriesResponse(ClusterId, _id, append.From, _term, true, _log.Committed, 0, 0) { StorageId = StorageId });
                return;
            }
        }

        if (!_log.MatchTerm(prevIndex, prevTerm))
        {
            long conflictIndex, conflictTerm;
            if (prevIndex > _log.LastIndex)
            {
                conflictTerm = 0;
                conflictIndex = _log.LastIndex + 1;
            }
            else
            {
                conflictTerm = _log.Term(prevIndex)!.Value;
                conflictIndex = _log.FirstIndexOfTermAt(prevIndex);
            }
            // MatchIndex on a rejection carries the rejected PrevLogIndex, so the leader can ignore stale ones.
            SendAfterDurable(new AppendEntriesResponse(
                ClusterId, _id, append.From, _term, false, append.PrevLogIndex, conflictIndex, conflictTerm) { StorageId = StorageId });
            return;
        }

        var lastNew = prevIndex + entries.Count;
        for (var i = 0; i < entries.Count; i++)
        {
            if (_log.MatchTerm(entries[i].Index, entries[i].Term)) continue;
            // §5.3: the first conflicting entry and everything after it go; the leader's entries replace them.
            var truncates = entries[i].Index <= _log.LastIndex;
            var rest = entries.Skip(i).ToList();
            if (truncates) WithdrawAcknowledgementsFrom(entries[i].Index);
            _log.TruncateAndAppend(rest);
            if (truncates || rest.Any(e => e.Kind == EntryKind.Configuration)) RefreshConfiguration();
            break;
        }

        _log.CommitTo(Math.Min(append.LeaderCommit, lastNew));
        // PERSISTENCE: "success" promises these entries survive a crash (the leader counts them toward commit),
        // so it leaves only after this Ready's Entries are durable.
        SendAfterDurable(new AppendEntriesResponse(ClusterId, _id, append.From, _term, true, lastNew, 0, 0) { StorageId = StorageId });
    }

    /// <summary>
    /// PERSISTENCE: acknowledgements still queued for after the next write must be true when they leave. Once the
    /// log is cut at <paramref name="index"/>, the write they wait for removes what they claim: withdraw them.
    /// (Those already handed out in an outstanding Ready leave before the cut reaches the disk, so they hold.)
    /// </summary>
    private void WithdrawAcknowledgementsFrom(long index) =>
        _messagesAfterDurable.RemoveAll(m =>
            m is AppendEntriesResponse { Success: true } ack && ack.MatchIndex >= index ||
            m is InstallSnapshotResponse { Done: true } done && done.LastIncludedIndex >= index);

    private void HandleHeartbeat(Heartbeat heartbeat)
    {
        _log.CommitTo(Math.Min(heartbeat.Commit, _log.LastIndex));
        // Promises nothing about our disk: it only echoes the read round (§6.4).
        Send(new HeartbeatResponse(ClusterId, _id, heartbeat.From, _term, heartbeat.ReadContext) { StorageId = StorageId });
    }
}
