using System.Diagnostics;
using Akka.Event;
using Akka.Actor;
using Akka.Persistence;
using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;
using DistStack.Actors.Shell;

namespace DistStack.Actors.Node;

// The Ready loop: the only place the core's outputs become effects.
//
// PERSISTENCE ORDER (Ready.cs is the contract; this is how the shell keeps it):
//  1. Ready.Messages go out at once: they promise nothing about our disk.
//  2. HardState, the log Entries (after a LogTruncated when they overwrite persisted indexes) and an installed
//     Snapshot are written as ONE PersistAll (one transaction, one fsync) per Ready. While it is in flight,
//     Akka.Persistence stashes every incoming command, and FlushReady makes sure that everything that arrived
//     meanwhile is fed to the core before the next Ready is taken: the next write carries all of it (group commit).
//  3. Only in the handler of the LAST event of that write (the whole batch is durable then) do we send
//     Ready.MessagesAfterDurable: votes and append acknowledgements never leave before what they promise is on disk.
//  4. Committed entries and read states go to the StackRegistry, in order, as soon as the Ready is taken, while
//     its write is in flight: the core hands out only entries that were durable here BEFORE this Ready (Ready.cs),
//     so applying them promises nothing about this write (etcd applies while it persists, too). Waiting for the
//     write instead made every client under load wait one more fsync than its own entry needed.
//     A Ready that installs a leader's snapshot is the exception: restore it (durable) first, then apply.
//  5. Then core.Advance(ready), and only then the next Ready. At most one Ready is ever in flight.
// The sequence itself (which half of a Ready goes when) is Shell/ReadyLoop, shared with the simulator; this file
// only carries it out over Akka.Persistence.
public sealed partial class RaftNode
{
    private bool _flushScheduled;

    /// <summary>A Ready (or a snapshot save) is being made durable; no new Ready until it completes.</summary>
    private bool _durableWriteInFlight;

    private long _journalWrites;
    private long _eventsWritten;

    private void ScheduleFlush()
    {
        if (_flushScheduled || _core is null) return;
        _flushScheduled = true;
        Self.Tell(FlushReady.Instance);
    }

    private void ProcessReady()
    {
        // One snapshot save at a time: a leader's snapshot to install waits for the compaction save in flight.
        while (_core is not null && !_durableWriteInFlight && _readyLoop!.Take(holdSnapshot: _snapshotSave is CompactionSave) is { } taken)
        {
            var ready = taken.Ready;
            if (ready.SoftState is { } soft)
            {
                _clients!.OnSoftState(soft);
                ObserveSelf();
            }
            Send(taken.SendNow);
            HandOverCommittedAndReads(taken.ApplyNow, taken.ReadsNow);

            if (ready.Snapshot is not null)
            {
                InstallSnapshot(taken);
                return;
            }

            var events = JournalEventsFor(ready);
            if (events.Count == 0)
            {
                CompleteReady(taken);
                continue;
            }

            _durableWriteInFlight = true;
            _journalWrites++;
            var remaining = events.Count;
            var writeStarted = Stopwatch.GetTimestamp();
            PersistAll(events, e =>
            {
                _eventsWritten++;
                _persisted.Apply(e);
                if (--remaining > 0) return;
                // The whole batch is durable now (this is the handler of its last event).
                ObserveJournalWrite(writeStarted, ready.Entries.Count);
                _durableWriteInFlight = false;
                CompleteReady(taken);
                TryDeferredCompaction();
                ProcessReady();
            });
            return;
        }
    }

    private List<object> JournalEventsFor(Ready ready)
    {
        var events = new List<object>(3);
        if (ready.HardState is { } hard && hard != _persisted.HardState)
            events.Add(new HardStateRecorded(hard.Term, hard.VotedFor));
        if (ready.Entries.Count > 0)
        {
            // The journal is append-only: overwriting persisted indexes (a conflict with the leader, §5.3) is
            // recorded as a truncation first, and replayed as one on recovery.
            var first = ready.Entries[0].Index;
            if (first <= _persisted.LastIndex) events.Add(new LogTruncated(first));
            events.Add(new EntriesAppended(ready.Entries));
        }
        return events;
    }

    /// <summary>Step 4 of the persistence order: committed entries to apply, reads to serve.</summary>
    private void HandOverCommittedAndReads(IReadOnlyList<LogEntry> committed, IReadOnlyList<ReadState> reads)
    {
        if (committed.Count > 0)
        {
            HandOverCommitted(committed);
            _observations.Committed(committed[0].Index, committed[^1].Index);
        }
        if (reads.Count > 0) _clients!.OnReadStates(reads);
    }

    /// <summary>Steps 3 to 5 of the persistence order; call only once the Ready's writes are durable.</summary>
    private void CompleteReady(ReadyTaken taken)
    {
        var durable = _readyLoop!.Durable(taken);
        Send(durable.SendNow);
        if (durable.Restore is { } snapshot) _registry.Tell(new RestoreSnapshot(snapshot));
        HandOverCommittedAndReads(durable.ApplyNow, durable.ReadsNow); // after the restore: these entries follow it
    }

    /// <summary>
    /// A journal write failed: the promise behind every waiting request is void. Answer all of them (nobody waits
    /// forever); Akka then stops this actor and the backoff supervisor restarts it, recovering from the journal.
    /// </summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Journal write failed at sequence number {0} ({1}); answering waiting clients and restarting",
            sequenceNr, @event.GetType().Name);
        FailAllWaiters("journal write failed; the node is restarting");
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>A rejected write leaves the Ready half done: answer everyone and stop, so that we restart clean.</summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Journal rejected {0} at sequence number {1}; answering waiting clients and restarting",
            @event.GetType().Name, sequenceNr);
        FailAllWaiters("journal rejected a write; the node is restarting");
        Context.Stop(Self);
    }

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _log.Error(reason, "Recovery of node {0} failed; the supervisor will retry", _settings.NodeId);
        base.OnRecoveryFailure(reason, message);
    }

    protected override void PostStop()
    {
        FailAllWaiters("node stopped");
        base.PostStop();
    }
}
