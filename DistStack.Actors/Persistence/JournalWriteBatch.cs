using DistStack.Actors.Raft;
using DistStack.Actors.Shell;

namespace DistStack.Actors.Persistence;

/// <summary>
/// Readies taken while a journal write is in flight, waiting to go into the next write together. Their events are
/// concatenated in order (one atomic write, so only the final state of the batch matters on recovery), and
/// entries that continue the batch's last EntriesAppended join it, so the batch is one journal row, not one per
/// Ready. Not thread-safe: owned by RaftNode.
/// </summary>
public sealed class JournalWriteBatch
{
    private List<ReadyTaken> _readies = [];
    private List<object> _events = [];
    private int _entries;

    /// <summary>The entries of the batch's last EntriesAppended, still open to contiguous ones; not in _events yet.</summary>
    private List<LogEntry>? _openEntries;

    public bool IsEmpty => _readies.Count == 0;

    public void Add(ReadyTaken taken, IReadOnlyList<object> events)
    {
        _readies.Add(taken);
        _entries += taken.Ready.Entries.Count;
        foreach (var e in events)
        {
            if (e is EntriesAppended { Entries.Count: > 0 } appended)
            {
                if (_openEntries is not null && appended.Entries[0].Index == _openEntries[^1].Index + 1)
                {
                    _openEntries.AddRange(appended.Entries);
                    continue;
                }
                CloseEntries();
                _openEntries = [.. appended.Entries];
                continue;
            }
            CloseEntries();
            _events.Add(e);
        }
    }

    /// <summary>The batch, emptied: the Readies in the order taken, their events, and how many entries they carry.</summary>
    public (IReadOnlyList<ReadyTaken> Readies, IReadOnlyList<object> Events, int Entries) Take()
    {
        CloseEntries();
        var batch = (_readies, _events, _entries);
        _readies = [];
        _events = [];
        _entries = 0;
        return batch;
    }

    private void CloseEntries()
    {
        if (_openEntries is null) return;
        _events.Add(new EntriesAppended(_openEntries));
        _openEntries = null;
    }
}
