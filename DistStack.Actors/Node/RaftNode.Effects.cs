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
// PERSISTENCE ORDER (Ready.cs is the contract; Shell/ReadyLoop decides the sequence; this is how the shell keeps it):
//  1. Ready.Messages go out at once: they promise nothing about our disk.
//  2. HardState, the log Entries (after a LogTruncated when they overwrite indexes already written) are written as
//     ONE PersistAllAsync (one atomic write). Up to max-writes-in-flight Readies are taken before the first is
//     durable (asynchronous storage writes): nothing is stashed meanwhile, so peers' acknowledgements and heartbeat
//     answers reach the core during our own fsync. The Readies taken while a write is in flight are batched into
//     the next write (JournalWriteBatch): one write per fsync, not one per Ready. The journal has one writer, so the
//     writes become durable in the order they were queued, and Akka.Persistence runs their handlers in that order.
//  3. In the handler of a write's LAST event (the whole write is durable then), the loop gives the second halves now
//     due: Ready.MessagesAfterDurable of this Ready and of any that wrote nothing and were queued behind it. Votes
//     and append acknowledgements never leave before what they promise is on disk.
//  4. Committed entries and read states go to the StackRegistry, in order, as soon as a Ready is taken: the core
//     hands out only entries that were durable here BEFORE that Ready (Ready.cs), so applying them promises nothing
//     about any write in flight (etcd applies while it persists, too). A Ready that installs a leader's snapshot is
//     the exception, and goes alone: restore it (durable) first, then apply.
//  5. The loop advances the core with each Ready whose second half it gave.
// Snapshot saves (RaftNode.Snapshots.cs) hold the loop (_holdReadies) while they start, so that the sequence number a
// snapshot covers is exactly the journal it copies.
public sealed partial class RaftNode
{
    private bool _flushScheduled;

    /// <summary>A snapshot save is starting or installing the leader's snapshot: no Ready is taken until it is done.</summary>
    private bool _holdReadies;

    /// <summary>What each write puts in the journal, judged against what is queued there (set once recovered).</summary>
    private JournalWrites _writes = null!;

    private long _journalWrites;
    private long _eventsWritten;

    /// <summary>Readies taken whose write waits for the journal write in flight (<see cref="StartJournalWrite"/>).</summary>
    private readonly JournalWriteBatch _batch = new();
    private int _journalWritesInFlight;

    private void ScheduleFlush()
    {
        if (_flushScheduled || _core is null) return;
        _flushScheduled = true;
        Self.Tell(FlushReady.Instance);
    }

    private void ProcessReady()
    {
        // One snapshot save at a time: a leader's snapshot to install waits for the compaction save in flight.
        while (_core is not null && !_holdReadies && _readyLoop!.Take(holdSnapshot: _snapshotSave is CompactionSave) is { } taken)
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
                InstallSnapshot(taken); // the core hands out nothing else until this one is advanced
                return;
            }

            var events = _writes.For(ready);
            if (events.Count == 0)
            {
                Complete(_readyLoop.Durable(taken));
                continue;
            }
            _batch.Add(taken, events);
        }
        StartJournalWrite();
    }

    /// <summary>
    /// Hands the batched Readies' events to the journal as ONE atomic write, unless a write is in flight (then the
    /// batch grows until it is durable), or <paramref name="evenWhileWriting"/> (a snapshot save must queue its own
    /// write behind every Ready already taken). Each journal write has a fixed CPU cost far above its per-entry cost
    /// (docs/profiling.md), and a Ready under load carries only the few requests that arrived since the last one;
    /// one write per fsync, carrying every Ready taken meanwhile, is the group commit the synchronous loop had.
    /// </summary>
    private void StartJournalWrite(bool evenWhileWriting = false)
    {
        if (_batch.IsEmpty || (_journalWritesInFlight > 0 && !evenWhileWriting)) return;
        var (readies, events, entries) = _batch.Take();
        _journalWrites++;
        _journalWritesInFlight++;
        var remaining = events.Count;
        var writeStarted = Stopwatch.GetTimestamp();
        PersistAllAsync(events, e =>
        {
            _eventsWritten++;
            _persisted.Apply(e);
            if (--remaining > 0) return;
            // This write is durable now (this is the handler of its last event), and so is every earlier one.
            _journalWritesInFlight--;
            ObserveJournalWrite(writeStarted, entries);
            foreach (var taken in readies) Complete(_readyLoop!.Durable(taken));
            TryDeferredCompaction();
            ProcessReady();
        });
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

    /// <summary>Steps 3 and 5 of the persistence order for each second half now due (the loop advanced the core).</summary>
    private void Complete(IReadOnlyList<ReadyDurable> due)
    {
        for (var i = 0; i < due.Count; i++)
        {
            var durable = due[i];
            Send(durable.SendNow);
            if (durable.Restore is { } snapshot) _registry.Tell(new RestoreSnapshot(snapshot));
            HandOverCommittedAndReads(durable.ApplyNow, durable.ReadsNow); // after the restore: these entries follow it
        }
    }

    /// <summary>
    /// A journal write failed: the promise behind every waiting request is void. Answer all of them (nobody waits
    /// forever); Akka then stops this actor and the backoff supervisor restarts it, recovering from the journal.
    /// Writes queued after the failed one may still have reached the disk; their entries were never acknowledged
    /// (nothing after a failed write is), and recovery drops what no longer follows the log (PersistedRaftState).
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
        StopForwardedWrites();
        base.PostStop();
    }
}
