using DistStack.Actors.Raft;

namespace DistStack.Actors.Persistence;

/// <summary>
/// What each write puts in the journal, judged against what is already QUEUED there (durable or still in flight),
/// not only against what is durable: with several writes in flight (Ready.cs) the journal will hold every queued
/// write, in order, before a new one. So a Ready whose entries start inside a write still in flight records a
/// truncation first, and a snapshot save records the latest hard state queued, never an older durable one that
/// would replay after a newer vote and undo it. Not thread-safe: owned by RaftNode.
/// </summary>
public sealed class JournalWrites
{
    /// <summary>The hard state the journal will hold once every queued write is durable.</summary>
    public HardState QueuedHardState { get; private set; }

    /// <summary>The last log index the journal will hold once every queued write is durable.</summary>
    public long QueuedLastIndex { get; private set; }

    /// <summary>Starts from what recovery read back: all of it is durable, nothing is in flight.</summary>
    public JournalWrites(PersistedRaftState recovered)
    {
        QueuedHardState = recovered.HardState;
        QueuedLastIndex = recovered.LastIndex;
    }

    /// <summary>The events of one Ready's write (none when it writes nothing), now counted as queued.</summary>
    public List<object> For(Ready ready)
    {
        var events = new List<object>(3);
        if (ready.HardState is { } hard && hard != QueuedHardState)
        {
            events.Add(new HardStateRecorded(hard.Term, hard.VotedFor));
            QueuedHardState = hard;
        }
        if (ready.Entries.Count > 0)
        {
            // The journal is append-only: overwriting indexes already written or queued (a conflict with the
            // leader, §5.3) is recorded as a truncation first, and replayed as one on recovery.
            var first = ready.Entries[0].Index;
            if (first <= QueuedLastIndex) events.Add(new LogTruncated(first));
            events.Add(new EntriesAppended(ready.Entries));
            QueuedLastIndex = ready.Entries[^1].Index;
        }
        return events;
    }

    /// <summary>
    /// The event that starts a snapshot save: the hard state the journal will hold by then (a save gets a sequence
    /// number of its own, and recovery replays what follows it over the snapshot's hard state).
    /// </summary>
    public HardStateRecorded ForSnapshotSave(HardState? installing = null)
    {
        if (installing is { } hard) QueuedHardState = hard;
        return new HardStateRecorded(QueuedHardState.Term, QueuedHardState.VotedFor);
    }

    /// <summary>The leader's snapshot was installed: the journal holds it and the entries after it.</summary>
    public void Installed(PersistedRaftState persisted) => QueuedLastIndex = persisted.LastIndex;
}
