namespace DistStack.Actors.Raft;

/// <summary>
/// The log as the core sees it: a snapshot point (index and term of the last compacted entry) followed by the
/// entries after it, kept in memory. Three positions split the entries by where they are on their way to disk:
/// up to <see cref="StableIndex"/> they are durable on this node; up to <see cref="WrittenIndex"/> they were handed
/// to the shell in a Ready whose write may still be in flight; after it they travel in the next
/// <see cref="Ready.Entries"/>. Likewise committed entries are handed out to apply up to <see cref="ApplyingIndex"/>
/// and known applied up to <see cref="Applied"/> (several Readies may be in flight: Ready.cs).
/// </summary>
internal sealed class RaftLog
{
    private readonly List<LogEntry> _entries = [];

    public RaftLog(SnapshotMetadata? snapshot, IReadOnlyList<LogEntry> durableEntries)
    {
        SnapshotIndex = snapshot?.LastIncludedIndex ?? 0;
        SnapshotTerm = snapshot?.LastIncludedTerm ?? 0;
        foreach (var entry in durableEntries)
        {
            // The shell may not have deleted what a snapshot covers yet: those entries are simply behind us.
            if (entry.Index <= SnapshotIndex) continue;
            if (entry.Index != LastIndex + 1)
                throw new InvalidOperationException(
                    $"Persisted log has a gap: expected index {LastIndex + 1} but found {entry.Index}.");
            _entries.Add(entry);
        }
        StableIndex = LastIndex;
        WrittenIndex = LastIndex;
        Committed = SnapshotIndex;
        Applied = SnapshotIndex;
        ApplyingIndex = SnapshotIndex;
    }

    public long SnapshotIndex { get; private set; }
    public long SnapshotTerm { get; private set; }
    public long FirstIndex => SnapshotIndex + 1;
    public long LastIndex => SnapshotIndex + _entries.Count;
    public long LastTerm => _entries.Count == 0 ? SnapshotTerm : _entries[^1].Term;

    /// <summary>Last index known durable on this node (what the leader may count for itself, §10.2.1).</summary>
    public long StableIndex { get; private set; }

    /// <summary>Last index handed to the shell to write (durable, or in a write still in flight). Never below StableIndex.</summary>
    public long WrittenIndex { get; private set; }

    public long Committed { get; private set; }
    public long Applied { get; private set; }

    /// <summary>Last index handed to the shell to apply (applied, or in a Ready not yet advanced). Never below Applied.</summary>
    public long ApplyingIndex { get; private set; }

    /// <summary>Entries no Ready has carried yet: the next Ready.Entries.</summary>
    public bool HasEntriesToWrite => LastIndex > WrittenIndex;

    /// <summary>Committed, durable and not yet handed out to apply: the next CommittedEntries.</summary>
    public bool HasEntriesToApply => Math.Min(Committed, StableIndex) > Math.Max(ApplyingIndex, SnapshotIndex);

    /// <summary>The term of the entry at <paramref name="index"/>, or null when it is compacted or beyond the end.</summary>
    public long? Term(long index)
    {
        if (index == SnapshotIndex) return SnapshotTerm;
        if (index < SnapshotIndex || index > LastIndex) return null;
        return _entries[(int)(index - FirstIndex)].Term;
    }

    public bool MatchTerm(long index, long term) => Term(index) == term;

    public LogEntry Entry(long index) => _entries[(int)(index - FirstIndex)];

    /// <summary>Entries [from, to], all of which must be present.</summary>
    public IReadOnlyList<LogEntry> Slice(long from, long to)
    {
        if (to < from) return [];
        return _entries.GetRange((int)(from - FirstIndex), (int)(to - from + 1));
    }

    /// <summary>
    /// Up to <paramref name="maxCount"/> entries from <paramref name="from"/> whose sizes add up to at most
    /// <paramref name="maxBytes"/>, but always at least one entry so that a large entry cannot stall replication.
    /// Null when <paramref name="from"/> is compacted.
    /// </summary>
    public IReadOnlyList<LogEntry>? Batch(long from, int maxCount, int maxBytes)
    {
        if (from <= SnapshotIndex) return null;
        if (from > LastIndex) return [];
        var batch = new List<LogEntry>();
        var bytes = 0;
        for (var index = from; index <= LastIndex && batch.Count < maxCount; index++)
        {
            var entry = Entry(index);
            if (batch.Count > 0 && bytes + entry.ApproximateSize > maxBytes) break;
            bytes += entry.ApproximateSize;
            batch.Add(entry);
        }
        return batch;
    }

    /// <summary>
    /// The entries for the next Ready, now counted as handed out. If a conflict truncated entries already written
    /// (or in flight), these start at or before <see cref="WrittenIndex"/>'s old value: the shell overwrites from there.
    /// </summary>
    public IReadOnlyList<LogEntry> TakeEntriesToWrite()
    {
        var entries = Slice(WrittenIndex + 1, LastIndex);
        WrittenIndex = LastIndex;
        return entries;
    }

    /// <summary>The committed entries for the next Ready, now counted as handed out to apply.</summary>
    public IReadOnlyList<LogEntry> TakeEntriesToApply()
    {
        var entries = Slice(Math.Max(ApplyingIndex, SnapshotIndex) + 1, Math.Min(Committed, StableIndex));
        if (entries.Count > 0) ApplyingIndex = entries[^1].Index;
        return entries;
    }

    public void Append(LogEntry entry)
    {
        if (entry.Index != LastIndex + 1)
            throw new InvalidOperationException($"Append at {entry.Index} but last index is {LastIndex}.");
        _entries.Add(entry);
    }

    /// <summary>
    /// Replaces the log from <c>entries[0].Index</c> on (§5.3: a conflicting entry and all that follow it go).
    /// Truncated durable entries become unstable again so the next Ready starts at or before the last persisted
    /// index, which tells the shell to truncate its copy too.
    /// </summary>
    public void TruncateAndAppend(IReadOnlyList<LogEntry> entries)
    {
        if (entries.Count == 0) return;
        var first = entries[0].Index;
        if (first <= Committed)
            throw new InvalidOperationException($"Refusing to truncate committed entry {first} (commit {Committed}).");
        if (first <= LastIndex) _entries.RemoveRange((int)(first - FirstIndex), (int)(LastIndex - first + 1));
        StableIndex = Math.Min(StableIndex, first - 1);
        WrittenIndex = Math.Min(WrittenIndex, first - 1);
        foreach (var entry in entries) Append(entry);
    }

    /// <summary>
    /// The shell made <paramref name="persisted"/> durable (writes become durable in the order they were handed out).
    /// Only the prefix that is still in our log counts: a truncation while the Ready was in flight already made the
    /// rest unwritten again, and a later Ready carries their replacement. Log matching makes (index, term) identify
    /// an entry, so comparing terms suffices.
    /// </summary>
    public void StableTo(IReadOnlyList<LogEntry> persisted)
    {
        if (persisted.Count == 0 || persisted[0].Index > StableIndex + 1) return;
        var stable = StableIndex;
        foreach (var entry in persisted)
        {
            if (!MatchTerm(entry.Index, entry.Term)) break;
            stable = Math.Max(stable, entry.Index);
        }
        StableIndex = stable;
    }

    public void CommitTo(long index)
    {
        if (index <= Committed) return;
        if (index > LastIndex)
            throw new InvalidOperationException($"Commit {index} is beyond the last index {LastIndex}.");
        Committed = index;
    }

    public void AppliedTo(long index)
    {
        if (index > Applied) Applied = index;
        if (index > ApplyingIndex) ApplyingIndex = index;
    }

    /// <summary>Drops entries up to <paramref name="index"/>: a local snapshot covers them (it is already durable).</summary>
    public void CompactTo(long index, long term)
    {
        if (index <= SnapshotIndex) return;
        var drop = (int)Math.Min(index - SnapshotIndex, _entries.Count);
        _entries.RemoveRange(0, drop);
        SnapshotIndex = index;
        SnapshotTerm = term;
        StableIndex = Math.Max(StableIndex, index);
        WrittenIndex = Math.Max(WrittenIndex, index);
    }

    /// <summary>
    /// Replaces the whole log with a snapshot received from the leader (§7: the log does not match it). The
    /// shell will persist the snapshot and discard its persisted log, so nothing here is unstable.
    /// </summary>
    public void Restore(SnapshotMetadata metadata)
    {
        _entries.Clear();
        SnapshotIndex = metadata.LastIncludedIndex;
        SnapshotTerm = metadata.LastIncludedTerm;
        StableIndex = SnapshotIndex;
        WrittenIndex = SnapshotIndex;
        Committed = Math.Max(Committed, SnapshotIndex);
    }

    /// <summary>
    /// For a rejected AppendEntries: the first index of the term we hold at <paramref name="index"/> (§5.3 fast
    /// back-up), scanning no further back than the compaction point.
    /// </summary>
    public long FirstIndexOfTermAt(long index)
    {
        var term = Term(index) ?? throw new InvalidOperationException($"No entry at {index}.");
        var first = index;
        while (first - 1 > SnapshotIndex && Term(first - 1) == term) first--;
        return first;
    }

    /// <summary>
    /// Leader side of fast back-up: the last index at or below <paramref name="from"/> whose term is
    /// <paramref name="term"/>, or null if we hold no entry of that term (terms never decrease along the log).
    /// </summary>
    public long? LastIndexOfTerm(long term, long from)
    {
        for (var index = Math.Min(from, LastIndex); index >= SnapshotIndex; index--)
        {
            var t = Term(index);
            if (t is null || t < term) return null;
            if (t == term) return index;
        }
        return null;
    }

    /// <summary>The configuration in force: the latest Configuration entry in the log (§4.1), if any.</summary>
    public ClusterConfiguration? LatestConfiguration()
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
            if (_entries[i].Kind == EntryKind.Configuration)
                return ClusterConfiguration.Decode(_entries[i].Data);
        return null;
    }
}
