using Akka.Event;
using Akka.Actor;
using Akka.Persistence;
using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;
using DistStack.Actors.Shell;

namespace DistStack.Actors.Node;

// Snapshots, two kinds, both saved as a DurableSnapshot (Raft snapshot + hard state + log tail after it, i.e.
// everything the journal held up to the snapshot's sequence number):
//  - compaction: the StackRegistry serialized its state as of an applied index (off its thread); we save it,
//    and only once SaveSnapshotSuccess says it is durable do we compact the core's log and delete the journal
//    events and older snapshots it covers;
//  - installation: the leader sent a snapshot (Ready.Snapshot); it must be durable before the Ready's
//    MessagesAfterDurable (the InstallSnapshot acknowledgement) leave, exactly like log entries.
// Each save first writes the latest hard state queued, so every snapshot gets a sequence number of its own. That
// write is queued behind the Readies' writes in flight, and its handler runs once they are all durable: the state
// the snapshot copies (PersistedRaftState) is then exactly the journal up to its sequence number. No Ready is taken
// from the moment the save starts until that handler ran (_holdReadies), so nothing is queued between.
// While an INSTALLATION is saved no Ready is taken at all: its acknowledgement waits for it, and the core hands out
// the installing Ready only once no other is in flight.
// A COMPACTION save holds the Ready loop only for that small write: it covers exactly the journal up to its sequence
// number, events written meanwhile get higher ones and are replayed after it on recovery, and compaction on success
// only drops what it covers. (Holding the loop for a multi-megabyte write stalled every client for its duration.)
// Only a Ready that would install a leader's snapshot waits for a compaction save in flight (one save at a time).
public sealed partial class RaftNode
{
    private abstract record SnapshotSave(DurableSnapshot Durable);

    private sealed record InstallSave(ReadyTaken Taken, DurableSnapshot Durable) : SnapshotSave(Durable);

    private sealed record CompactionSave(SnapshotData Data, DurableSnapshot Durable) : SnapshotSave(Durable);

    private SnapshotSave? _snapshotSave;
    private RegistrySnapshotTaken? _deferredCompaction;
    private long _snapshotsSaved;

    private void InstallSnapshot(ReadyTaken taken)
    {
        var ready = taken.Ready;
        var snapshot = ready.Snapshot!;
        var start = _writes.ForSnapshotSave(installing: ready.HardState);
        var hard = new HardState(start.Term, start.VotedFor);
        var tail = ready.Entries.Where(e => e.Index > snapshot.Metadata.LastIncludedIndex).ToList();
        _log.Info("Installing the leader's snapshot at index {0} (term {1})",
            snapshot.Metadata.LastIncludedIndex, snapshot.Metadata.LastIncludedTerm);
        SaveDurableSnapshot(start, () =>
            new InstallSave(taken, new DurableSnapshot(_settings.ClusterId, _settings.NodeId, hard, snapshot, tail)));
    }

    private void OnRegistrySnapshot(RegistrySnapshotTaken taken)
    {
        if (_core is null || _holdReadies || _snapshotSave is not null)
        {
            _deferredCompaction = taken; // taken again once the write in flight completes (TryDeferredCompaction)
            return;
        }
        var index = taken.AppliedIndex;
        if (index <= _persisted.SnapshotIndex || _persisted.TermAt(index) is not { } term)
        {
            _registry.Tell(new SnapshotCompleted(index, Saved: false));
            return;
        }
        var data = new SnapshotData(new Raft.SnapshotMetadata(index, term, _persisted.ConfigurationAt(index)), taken.Data);
        SaveDurableSnapshot(_writes.ForSnapshotSave(), () => new CompactionSave(data, _persisted.ToDurableSnapshot(data)));
    }

    private void SaveDurableSnapshot(HardStateRecorded start, Func<SnapshotSave> save)
    {
        StartJournalWrite(evenWhileWriting: true); // the Readies batched so far go first: the save copies them
        _holdReadies = true;
        _journalWrites++;
        ObserveSnapshotSaveStarted();
        PersistAsync(start, e =>
        {
            // Every write queued before this one is durable and applied to _persisted, and none was queued after it.
            _eventsWritten++;
            _persisted.Apply(e);
            _snapshotSave = save();
            SaveSnapshot(_snapshotSave.Durable); // at LastSequenceNr: this event's
            if (_snapshotSave is CompactionSave)
            {
                _holdReadies = false;
                ProcessReady();
            }
        });
    }

    private void OnSnapshotSaved(SaveSnapshotSuccess success)
    {
        var save = _snapshotSave;
        _snapshotSave = null;
        _snapshotsSaved++;
        ObserveSnapshotSaved(save);
        var sequenceNr = success.Metadata.SequenceNr;
        switch (save)
        {
            case InstallSave install:
                _persisted.Restore(install.Durable);
                _writes.Installed(_persisted);
                _clients!.SnapshotInstalled(install.Durable.Snapshot.Metadata.LastIncludedIndex);
                _holdReadies = false;
                Complete(_readyLoop!.Durable(install.Taken)); // restores the registry from it, then applies what follows it
                break;
            case CompactionSave compaction:
                _persisted.CompactTo(compaction.Durable);
                Core.Compact(compaction.Data);
                _registry.Tell(new SnapshotCompleted(compaction.Data.Metadata.LastIncludedIndex, Saved: true));
                _log.Info("Snapshot at index {0} saved; log and journal compacted up to it",
                    compaction.Data.Metadata.LastIncludedIndex);
                break;
            default:
                return;
        }

        // Everything up to this sequence number is inside the snapshot now.
        DeleteMessages(sequenceNr);
        DeleteSnapshots(new SnapshotSelectionCriteria(sequenceNr - 1));
        TryDeferredCompaction();
        ProcessReady();
    }

    private void OnSnapshotFailed(SaveSnapshotFailure failure)
    {
        var save = _snapshotSave;
        _snapshotSave = null;
        switch (save)
        {
            case InstallSave:
                // The leader's snapshot is not durable, so it must not be acknowledged: restart and recover.
                _log.Error(failure.Cause, "Saving the leader's snapshot failed; answering waiting clients and restarting");
                FailAllWaiters("snapshot write failed; the node is restarting");
                Context.Stop(Self);
                return;
            case CompactionSave compaction:
                _log.Warning("Saving the snapshot at index {0} failed ({1}); the log stays uncompacted for now",
                    compaction.Data.Metadata.LastIncludedIndex, failure.Cause.Message);
                _registry.Tell(new SnapshotCompleted(compaction.Data.Metadata.LastIncludedIndex, Saved: false));
                TryDeferredCompaction();
                ProcessReady();
                return;
        }
    }

    private void TryDeferredCompaction()
    {
        if (_deferredCompaction is null || _holdReadies || _snapshotSave is not null) return;
        var taken = _deferredCompaction;
        _deferredCompaction = null;
        OnRegistrySnapshot(taken);
    }
}
