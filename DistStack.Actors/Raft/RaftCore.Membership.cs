namespace DistStack.Actors.Raft;

/// <summary>
/// Single-server membership changes with learners (dissertation §4.1, etcd's learners; docs/membership.md). A
/// configuration takes effect on every node as soon as it is in its log; the rules below make sure any two
/// configurations that can be in force at once share a majority, and that a change never costs availability.
/// </summary>
public sealed partial class RaftCore
{
    /// <summary>
    /// Propose adding a learner, promoting a learner or removing a member. Leader only; see
    /// <see cref="ConfigurationRefusal"/> for every reason a change is refused. A change that would leave the
    /// configuration as it is answers <see cref="ConfigurationChangeResult.Unchanged"/>, so retries are safe.
    /// </summary>
    public ConfigurationChangeResult ProposeConfigurationChange(ConfigurationChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (_role != RaftRole.Leader) return new ConfigurationChangeResult.NotLeader(LeaderHint);
        if (_transferTarget != None) return new ConfigurationChangeResult.TransferInProgress(_transferTarget);
        if (change.NodeId <= 0) return Refuse(ConfigurationRefusal.InvalidNodeId);
        if (change.Address is not null && !ClusterConfiguration.IsValidAddress(change.Address))
            return Refuse(ConfigurationRefusal.InvalidNodeId);

        // The founders' addresses are recorded by the first change that lacks them, so that from then on the
        // configuration alone says where every member is (docs/membership.md).
        // Storage ids likewise (RaftCore.StorageIds.cs).
        var current = _configuration.WithMissingAddresses(_options.MemberAddresses).WithStorageIds(UnrecordedStorageIds());
        var target = change.NodeId;
        ClusterConfiguration next;
        switch (change.Kind)
        {
            case ConfigurationChangeKind.AddLearner:
                if (change.Address is { } address &&
                    (current.Addresses.Any(a => a.Key != target && string.Equals(a.Value, address, StringComparison.OrdinalIgnoreCase)) ||
                     (current.AddressOf(target) is { } known && !string.Equals(known, address, StringComparison.OrdinalIgnoreCase))))
                    return Refuse(ConfigurationRefusal.AddressInUse);
                if (current.IsLearner(target))
                {
                    if (current.PromoteWhenCaughtUp.Contains(target) == change.PromoteWhenCaughtUp) return Unchanged();
                    next = current.WithPromoteWhenCaughtUp(target, change.PromoteWhenCaughtUp);
                    break;
                }
                // An add that asks for a voter in the end (raftexample's POST /{id}) finds its target state in a voter,
                // and waits like any retry for the entry that made it one to commit; a plain learner add is refused.
                if (current.Contains(target))
                    return change.PromoteWhenCaughtUp ? Unchanged() : Refuse(ConfigurationRefusal.AlreadyAVoter);
                next = current.AddLearner(target);
                if (change.Address is not null) next = next.WithAddress(target, change.Address);
                if (change.PromoteWhenCaughtUp) next = next.WithPromoteWhenCaughtUp(target, true);
                break;
            case ConfigurationChangeKind.Promote:
                if (current.Contains(target)) return Unchanged();
                if (!current.IsLearner(target)) return Refuse(ConfigurationRefusal.NotAMember);
                next = current.Promote(target);
                break;
            case ConfigurationChangeKind.Remove:
                if (!current.IsMember(target)) return Unchanged();
                if (current.Voters is [var only] && only == target) return Refuse(ConfigurationRefusal.LastVoter);
                next = current.Remove(target);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(change), change.Kind, "Unknown configuration change.");
        }

        // §4.1's pitfall: a configuration entry of an earlier term may still be uncommitted on some nodes; until we
        // commit one of our own, a change of ours could form a majority disjoint from it.
        if (_log.Term(_log.Committed) != _term) return Refuse(ConfigurationRefusal.OwnTermNotCommitted);
        if (UncommittedConfigurationIndex() is not null) return Refuse(ConfigurationRefusal.ChangeInProgress);
        if (change.Kind == ConfigurationChangeKind.Promote && !IsCaughtUp(target))
            return Refuse(ConfigurationRefusal.LearnerNotCaughtUp);
        if (change.Kind != ConfigurationChangeKind.AddLearner && !RecentlyActiveQuorumIn(next))
            return Refuse(ConfigurationRefusal.QuorumAtRisk);

        var entry = AppendAsLeader(EntryKind.Configuration, next.Encode());
        return new ConfigurationChangeResult.Accepted(entry.Index, entry.Term);

        ConfigurationChangeResult Refuse(ConfigurationRefusal reason) => new ConfigurationChangeResult.Refused(reason);
        ConfigurationChangeResult Unchanged() => new ConfigurationChangeResult.Unchanged(ConfigurationIndex());
    }

    /// <summary>
    /// A learner is caught up when the leader streams to it (replicate state), has heard from it within an election
    /// timeout, and what it lacks fits in one append: one round trip brings it level with the leader, so counting
    /// it from now on cannot stall commits behind its catch-up. And its answers come from the storage recorded for it
    /// (a learner whose disk was lost is added again, not promoted).
    /// </summary>
    public bool IsCaughtUp(int learner) =>
        _role == RaftRole.Leader && _progress.TryGetValue(learner, out var progress) &&
        progress.State == ReplicationState.Replicate && HeardRecently(progress) &&
        _configuration.StorageMatches(learner, progress.StorageId) &&
        _log.LastIndex - progress.Match <= _options.MaxEntriesPerAppend;

    /// <summary>The configuration in force (the latest in the log, committed or not).</summary>
    public ClusterConfiguration Configuration => _configuration;

    /// <summary>Whether this leader still replicates to <paramref name="node"/> (a member, or a removed one not yet told).</summary>
    public bool IsReplicatingTo(int node) => _role == RaftRole.Leader && _progress.ContainsKey(node);

    /// <summary>
    /// The term of the entry at <paramref name="index"/> if it is committed and still in the log (not compacted), so
    /// that whoever proposed an entry at (index, term) can tell that exactly that entry committed; otherwise null.
    /// </summary>
    public long? CommittedTermAt(long index) => index <= _log.Committed ? _log.Term(index) : null;

    /// <summary>The term of the entry at <paramref name="index"/> in this node's log, or null (compacted or beyond).</summary>
    public long? TermAt(long index) => _log.Term(index);

    /// <summary>Strict reconfiguration: enough voters of <paramref name="next"/> were heard from lately to commit in it.</summary>
    private bool RecentlyActiveQuorumIn(ClusterConfiguration next)
    {
        var active = next.Voters.Count(v =>
            v == _id || (_progress.TryGetValue(v, out var p) && HeardRecently(p) && AnswersCount(next, v)));
        return active >= next.QuorumSize;
    }

    private bool HeardRecently(FollowerProgress progress) =>
        progress.LastHeardAt is { } heard && _now - heard < _options.ElectionTicks;

    /// <summary>
    /// Not a voter of our latest configuration, but it is not committed and we are a voter of the one before: we may
    /// still be needed to elect a leader that commits it (dissertation §4.2.2). Without this, a leader that removed
    /// itself and lost leadership before the removal committed could leave a cluster where the only nodes holding the
    /// removal cannot campaign and the others cannot win without them. Votes still count only the voters of the
    /// candidate's latest configuration, so it can win only with a quorum of it.
    /// </summary>
    private bool MayStillBeNeededAsVoter()
    {
        if (UncommittedConfigurationIndex() is not { } latest) return false;
        for (var index = latest - 1; index > _log.SnapshotIndex; index--)
            if (_log.Entry(index).Kind == EntryKind.Configuration)
                return ClusterConfiguration.Decode(_log.Entry(index).Data).Contains(_id);
        return _snapshotConfiguration.Contains(_id);
    }

    /// <summary>The index of the latest configuration entry that is not committed yet, if any.</summary>
    private long? UncommittedConfigurationIndex()
    {
        for (var index = _log.LastIndex; index > _log.Committed; index--)
            if (_log.Entry(index).Kind == EntryKind.Configuration) return index;
        return null;
    }

    /// <summary>The index of the entry that set the configuration in force (the snapshot's index when it is compacted).</summary>
    private long ConfigurationIndex()
    {
        for (var index = _log.LastIndex; index > _log.SnapshotIndex; index--)
            if (_log.Entry(index).Kind == EntryKind.Configuration) return index;
        return _log.SnapshotIndex;
    }

    /// <summary>
    /// Removed members whose progress we keep, by the index of the configuration entry that removed them: replicated
    /// to (never counted) until they hold that entry and know it committed, so that a removed node learns it was
    /// removed, says so, and stops campaigning, rather than timing out forever as a voter of an old configuration.
    /// </summary>
    private readonly Dictionary<int, long> _departing = [];

    private void Depart(int node) => _departing[node] = ConfigurationIndex();

    private void ForgetDepartedWhoKnow()
    {
        if (_departing.Count == 0) return;
        foreach (var (node, removedAt) in _departing.ToList())
        {
            if (_progress.TryGetValue(node, out var progress) && (progress.Match < removedAt || progress.CommitSent < removedAt))
                continue;
            _departing.Remove(node);
            _progress.Remove(node);
        }
    }

    /// <summary>
    /// A leader that is no longer a voter (it removed itself, §4.2.2) led only to commit its removal. Once that is
    /// committed, it tells the followers, hands over to the most up-to-date voter with TimeoutNow (so nobody waits an
    /// election timeout) and steps down. Returns whether it did.
    /// </summary>
    private bool StepDownIfRemovalCommitted()
    {
        if (_role != RaftRole.Leader || _configuration.Contains(_id) || UncommittedConfigurationIndex() is not null)
            return false;
        BroadcastAppend(sendIfEmpty: true);
        var successor = _configuration.Voters
            .Where(v => _progress.ContainsKey(v) && AnswersCount(_configuration, v))
            .OrderByDescending(v => _progress[v].Match)
            .FirstOrDefault(None);
        if (successor != None) SendTimeoutNow(successor);
        BecomeFollower(_term, None);
        return true;
    }
}
