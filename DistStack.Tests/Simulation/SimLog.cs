using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

/// <summary>
/// A Raft log as the simulator models it (used both for what a node has on its simulated disk and for what its
/// core holds in memory): a snapshot base (index and term) and the entries after it.
/// </summary>
internal sealed class SimLog
{
    private readonly List<LogEntry> _entries;

    public SimLog(long snapshotIndex, long snapshotTerm, IEnumerable<LogEntry> entries)
    {
        SnapshotIndex = snapshotIndex;
        SnapshotTerm = snapshotTerm;
        _entries = [.. entries];
    }

    public long SnapshotIndex { get; private set; }
    public long SnapshotTerm { get; private set; }
    public IReadOnlyList<LogEntry> Entries => _entries;
    public long LastIndex => SnapshotIndex + _entries.Count;
    public long LastTerm => _entries.Count == 0 ? SnapshotTerm : _entries[^1].Term;

    public LogEntry? EntryAt(long index) =>
        index > SnapshotIndex && index <= LastIndex ? _entries[(int)(index - SnapshotIndex - 1)] : null;

    /// <summary>The term at <paramref name="index"/>, or -1 when this log cannot tell (compacted away or beyond the end).</summary>
    public long TermAt(long index)
    {
        if (index == SnapshotIndex) return SnapshotTerm;
        if (index == 0) return 0;
        return EntryAt(index)?.Term ?? -1;
    }

    /// <summary>True when this log holds (index, term), or covers the index with its snapshot (a committed prefix).</summary>
    public bool Holds(long index, long term) =>
        index <= SnapshotIndex || (index <= LastIndex && _entries[(int)(index - SnapshotIndex - 1)].Term == term);

    /// <summary>
    /// Ready.Entries semantics: the entries replace the log from <c>entries[0].Index</c> on. The caller has checked
    /// that they connect (first index in (SnapshotIndex, LastIndex + 1]). Each entry removed is reported first.
    /// </summary>
    public void Replace(IReadOnlyList<LogEntry> entries, Action<LogEntry>? onRemoved)
    {
        if (entries.Count == 0) return;
        var from = entries[0].Index;
        if (from <= LastIndex)
        {
            var position = (int)(from - SnapshotIndex - 1);
            if (onRemoved is not null)
                for (var i = position; i < _entries.Count; i++) onRemoved(_entries[i]);
            _entries.RemoveRange(position, _entries.Count - position);
        }
        for (var i = 0; i < entries.Count; i++) _entries.Add(entries[i]);
    }

    /// <summary>
    /// A snapshot received from the leader becomes the log's base. Entries after it survive only when the log holds
    /// the snapshot's last entry (then they agree with it by log matching); otherwise the whole log is discarded.
    /// </summary>
    public void InstallSnapshot(long index, long term, Action<LogEntry>? onRemoved)
    {
        if (index <= SnapshotIndex) return; // older than what the log already covers
        if (index <= LastIndex && TermAt(index) == term)
        {
            _entries.RemoveRange(0, (int)(index - SnapshotIndex));
        }
        else
        {
            if (onRemoved is not null) foreach (var e in _entries) onRemoved(e);
            _entries.Clear();
        }
        SnapshotIndex = index;
        SnapshotTerm = term;
    }

    /// <summary>The node's own snapshot at <paramref name="index"/>: the entries up to there are no longer needed.</summary>
    public void CompactTo(long index, long term)
    {
        if (index <= SnapshotIndex) return;
        var drop = (int)Math.Min(index - SnapshotIndex, _entries.Count);
        _entries.RemoveRange(0, drop);
        SnapshotIndex = index;
        SnapshotTerm = term;
    }

    /// <summary>The disk is lost: nothing remains, not even the snapshot point.</summary>
    public void Wipe()
    {
        _entries.Clear();
        SnapshotIndex = 0;
        SnapshotTerm = 0;
    }

    public SimLog Clone() => new(SnapshotIndex, SnapshotTerm, _entries);
}
