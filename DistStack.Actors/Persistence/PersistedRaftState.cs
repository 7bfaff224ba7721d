using DistStack.Actors.Raft;

namespace DistStack.Actors.Persistence;

/// <summary>
/// What the journal and snapshot store hold for this node, as it would be recovered right now: identity, hard
/// state, the last Raft snapshot and the log after it. Rebuilt during recovery from the latest
/// <see cref="DurableSnapshot"/> plus the events after it, then kept in step with every write, so that a
/// compaction snapshot can copy the log tail and the shell can tell whether a Ready's entries overwrite
/// persisted ones (and so need a <see cref="LogTruncated"/> first). Not thread-safe: owned by RaftNode.
/// </summary>
public sealed class PersistedRaftState
{
    private readonly List<LogEntry> _entries = [];

    public NodeBootstrapped? Identity { get; private set; }
    public HardState HardState { get; private set; } = HardState.Empty;
    public SnapshotData? Snapshot { get; private set; }
    public IReadOnlyList<LogEntry> Entries => _entries;

    public long SnapshotIndex => Snapshot?.Metadata.LastIncludedIndex ?? 0;
    public long LastIndex => _entries.Count > 0 ? _entries[^1].Index : SnapshotIndex;

    /// <summary>Nothing was ever written: the node must bootstrap before it takes part.</summary>
    public bool IsEmpty => Identity is null && Snapshot is null && _entries.Count == 0;

    /// <summary>
    /// Entries recovery dropped because they did not follow the log before them (first index, count), or null.
    /// With several writes in flight, a failed write stops the node, but writes queued after it may already have
    /// reached the disk: their entries leave a gap. None of them was acknowledged (an acknowledgement waits for every
    /// earlier write), so dropping them is what a crash before they were written would have done.
    /// </summary>
    public (long FirstIndex, int Count)? DroppedAfterGap { get; private set; }

    private bool _recovering;

    /// <summary>Replays an event read back from the journal: a gap left by a failed write drops what follows it.</summary>
    public void ApplyRecovered(object journalEvent)
    {
        _recovering = true;
        try
        {
            Apply(journalEvent);
        }
        finally
        {
            _recovering = false;
        }
    }

    /// <summary>Keeps this state in step with a write that just became durable. A gap here is a bug: it throws.</summary>
    public void Apply(object journalEvent)
    {
        switch (journalEvent)
        {
            case NodeBootstrapped bootstrapped:
                Identity = bootstrapped;
                break;
            case HardStateRecorded hard:
                HardState = new HardState(hard.Term, hard.VotedFor);
                break;
            case LogTruncated truncated:
                TruncateFrom(truncated.FromIndex);
                break;
            case EntryAppended appended:
                Append(appended.Entry);
                break;
            case EntriesAppended appended:
                foreach (var entry in appended.Entries) Append(entry);
                break;
            default:
                throw new InvalidOperationException($"Unknown journal event {journalEvent.GetType().Name}.");
        }
    }

    /// <summary>A snapshot record replaces everything the journal held up to its sequence number.</summary>
    public void Restore(DurableSnapshot snapshot)
    {
        Identity ??= new NodeBootstrapped(snapshot.ClusterId, snapshot.NodeId, snapshot.Snapshot.Metadata.Configuration);
        HardState = snapshot.HardState;
        Snapshot = snapshot.Snapshot;
        _entries.Clear();
        foreach (var entry in snapshot.Tail)
            if (entry.Index > SnapshotIndex) Append(entry);
    }

    public DurableSnapshot ToDurableSnapshot(SnapshotData snapshot)
    {
        var identity = Identity ?? throw new InvalidOperationException("Snapshot before bootstrap.");
        return new DurableSnapshot(
            identity.ClusterId, identity.NodeId, HardState, snapshot,
            [.. _entries.Where(e => e.Index > snapshot.Metadata.LastIncludedIndex)]);
    }

    public RaftDurableState ToDurableState() => new(HardState, Snapshot, [.. _entries]);

    /// <summary>Term of the persisted entry at <paramref name="index"/>, or null if not held (compacted or beyond).</summary>
    public long? TermAt(long index)
    {
        if (Snapshot is not null && index == SnapshotIndex) return Snapshot.Metadata.LastIncludedTerm;
        var position = PositionOf(index);
        return position is { } p ? _entries[p].Term : null;
    }

    /// <summary>The configuration in force at <paramref name="index"/>: the last configuration entry at or before it.</summary>
    public ClusterConfiguration ConfigurationAt(long index)
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
            if (_entries[i].Index <= index && _entries[i].Kind == EntryKind.Configuration)
                return ClusterConfiguration.Decode(_entries[i].Data);
        return Snapshot?.Metadata.Configuration
            ?? Identity?.Configuration
            ?? throw new InvalidOperationException($"No configuration known at index {index}.");
    }

    private void Append(LogEntry entry)
    {
        // An append at or below the last index replaces the rest (the shell writes LogTruncated first anyway).
        if (entry.Index <= LastIndex) TruncateFrom(entry.Index);
        if (entry.Index != LastIndex + 1)
        {
            if (!_recovering)
                throw new InvalidOperationException($"Log gap: entry {entry.Index} appended after {LastIndex}.");
            DroppedAfterGap = DroppedAfterGap is { } d ? (d.FirstIndex, d.Count + 1) : (entry.Index, 1);
            return;
        }
        _entries.Add(entry);
    }

    private void TruncateFrom(long fromIndex)
    {
        if (fromIndex <= SnapshotIndex)
            throw new InvalidOperationException($"Truncation from {fromIndex} reaches into snapshot at {SnapshotIndex}.");
        var position = PositionOf(fromIndex);
        if (position is { } p) _entries.RemoveRange(p, _entries.Count - p);
    }

    /// <summary>Called once a compaction snapshot is durable: drop what it covers.</summary>
    public void CompactTo(DurableSnapshot snapshot)
    {
        Snapshot = snapshot.Snapshot;
        var keepFrom = _entries.FindIndex(e => e.Index > SnapshotIndex);
        if (keepFrom < 0) _entries.Clear();
        else _entries.RemoveRange(0, keepFrom);
    }

    private int? PositionOf(long index)
    {
        if (_entries.Count == 0) return null;
        var position = index - _entries[0].Index;
        return position >= 0 && position < _entries.Count ? (int)position : null;
    }
}
