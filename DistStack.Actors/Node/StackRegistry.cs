using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using DistStack.Actors.Observability;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Node;

/// <summary>
/// The replicated state machine of one node: applies committed entries to the immutable <see cref="StackState"/>
/// in log order, answers the clients that proposed them, serves linearizable reads once applied far enough, and,
/// when its <see cref="SnapshotSchedule"/> says so, hands a snapshot (serialized off the actor thread) to its parent RaftNode.
/// Child of RaftNode: it restarts with it and is rebuilt from the snapshot and the re-delivered committed entries.
/// </summary>
public sealed class StackRegistry : ReceiveActor, IWithTimers
{
    private const string ExpireReadsTimer = "expire-reads";
    private static readonly TimeSpan ExpireReadsEvery = TimeSpan.FromMilliseconds(100);

    private readonly StackStateOptions _options;
    private readonly SnapshotSchedule _snapshots;

    /// <summary>Set by the RaftNode once every member reads compressed snapshots (until then, version 3 is written).</summary>
    private bool _compressSnapshots;

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly NodeObservations _observations = NodeObservations.For(Context.System);
    private PriorityQueue<(ServeRead Read, long DueTimestamp), long> _reads = new();
    private StackState _state;

    // What a backup records beside the state: the term of the entry at the applied index and the configuration in
    // force there (the last configuration entry applied, or the snapshot's). Index 1 is always a configuration entry.
    private long _appliedTerm;
    private ClusterConfiguration? _configuration;

    public StackRegistry(StackStateOptions options, SnapshotSchedule snapshots)
    {
        _options = options;
        _snapshots = snapshots;
        _state = StackState.Empty(options);

        Receive<ApplyCommitted>(Apply);
        Receive<RestoreSnapshot>(Restore);
        Receive<ServeRead>(read =>
        {
            _reads.Enqueue((read, Stopwatch.GetTimestamp() + (long)(read.Within.TotalSeconds * Stopwatch.Frequency)), read.ReadIndex);
            ServeReads();
            if (_reads.Count > 0 && !Timers.IsTimerActive(ExpireReadsTimer))
                Timers.StartPeriodicTimer(ExpireReadsTimer, ExpireReads.Instance, ExpireReadsEvery);
        });
        Receive<ExpireReads>(_ => ExpireOverdueReads());
        Receive<CompressSnapshots>(m => { _compressSnapshots = m.Compress; }); // a block: an expression lambda returning bool would be Receive's "handled?" predicate
        Receive<SnapshotSerialized>(serialized =>
        {
            _snapshots.Serialized(StackSnapshotCodec.StateLength(serialized.Data));
            Context.Parent.Tell(new RegistrySnapshotTaken(serialized.Index, serialized.Data));
        });
        Receive<SnapshotSerializationFailed>(failed =>
        {
            _log.Error(failed.Cause, "Serializing the snapshot of index {0} failed; will retry later", failed.Index);
            _snapshots.Completed(failed.Index, saved: false);
        });
        Receive<SnapshotCompleted>(completed =>
        {
            _snapshots.Completed(completed.Index, completed.Saved);
            // Entries applied while it was saved may already make the next one due: do not wait for another batch.
            MaybeSnapshot();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(StackStateOptions options, SnapshotSchedule snapshots) =>
        Akka.Actor.Props.Create(() => new StackRegistry(options, snapshots));

    /// <summary>Answers to writes followers forwarded leave once per applied batch and follower.</summary>
    private readonly ForwardedAnswerBatch _answers = new();

    private void Apply(ApplyCommitted batch)
    {
        try
        {
            ApplyEntries(batch);
        }
        finally
        {
            // Also when an entry cannot be decoded: the writes applied before it have their answers.
            _answers.Send();
        }
        ServeReads();
        Context.Parent.Tell(new RegistryApplied(_state.AppliedIndex, _state.Digest));
        _observations.RememberedRequestKeys = _state.RememberedRequestKeys;
        MaybeSnapshot();
    }

    private void ApplyEntries(ApplyCommitted batch)
    {
        var state = _state;
        foreach (var entry in batch.Entries)
        {
            // Already included (replayed after a restore): applying twice would break determinism.
            if (entry.Index <= state.AppliedIndex) continue;
            if (entry.Index != state.AppliedIndex + 1)
                throw new InvalidOperationException($"Committed entry {entry.Index} arrived after applied index {state.AppliedIndex}.");
            _snapshots.Applied(entry.Data.Length);
            _appliedTerm = entry.Term;

            batch.Waiters.TryGetValue(entry.Index, out var waiter);
            if (entry.Kind != EntryKind.Command)
            {
                if (entry.Kind == EntryKind.Configuration) _configuration = ClusterConfiguration.Decode(entry.Data);
                state = state.Skip(entry.Index);
                continue;
            }

            StackCommand command;
            long stampedAtMs;
            try
            {
                command = StackCommandCodec.Decode(entry.Data, out stampedAtMs);
            }
            catch (FormatException e)
            {
                // Never skip it: a newer build that wrote it applies it, so skipping here would fork this replica's
                // state from theirs. Failing makes the RaftNode restart from its journal (with backoff) and stop here
                // again until this node runs a build that reads the entry (README: upgrading).
                _state = state;
                throw new UndecodableEntryException(entry.Index, e);
            }

            (state, var result) = state.Apply(entry.Index, command, stampedAtMs);
            if (waiter is not null) _answers.Answer(waiter, new Completed(result));
        }

        _state = state;
    }

    private void Restore(RestoreSnapshot restore)
    {
        _state = StackSnapshotCodec.Read(restore.Snapshot.Data, _options);
        _appliedTerm = restore.Snapshot.Metadata.LastIncludedTerm;
        _configuration = restore.Snapshot.Metadata.Configuration;
        _snapshots.Restored(restore.Snapshot.Metadata.LastIncludedIndex, StackSnapshotCodec.StateLength(restore.Snapshot.Data));
        _log.Info("Restored stacks from the snapshot at index {0}", _snapshots.LastIndex);
        ServeReads();
        Context.Parent.Tell(new RegistryApplied(_state.AppliedIndex, _state.Digest));
        _observations.RememberedRequestKeys = _state.RememberedRequestKeys;
    }

    private void ServeReads()
    {
        while (_reads.TryPeek(out var pending, out var readIndex) && readIndex <= _state.AppliedIndex)
        {
            _reads.Dequeue();
            pending.Read.ReplyTo.Tell(pending.Read.Query is CaptureState
                ? new StateCaptured(_state, _appliedTerm, _configuration)
                : new Completed(_state.Query(pending.Read.Query)));
        }
        if (_reads.Count == 0) Timers.Cancel(ExpireReadsTimer);
    }

    /// <summary>A read changes nothing, so one not served in time is answered "not started": retrying it anywhere is safe.</summary>
    private void ExpireOverdueReads()
    {
        var now = Stopwatch.GetTimestamp();
        var kept = new PriorityQueue<(ServeRead Read, long DueTimestamp), long>();
        foreach (var (pending, readIndex) in _reads.UnorderedItems)
        {
            if (pending.DueTimestamp > now) kept.Enqueue(pending, readIndex);
            else pending.Read.ReplyTo.Tell(new NotStarted(
                $"read not served in time: this node has applied up to {_state.AppliedIndex}, the read needs {readIndex}; retry (a read changes nothing)"));
        }
        _reads = kept;
        if (_reads.Count == 0) Timers.Cancel(ExpireReadsTimer);
    }

    private void MaybeSnapshot()
    {
        if (!_snapshots.IsDue(_state.AppliedIndex)) return;
        _snapshots.Started();
        // The state is immutable: this reference IS the snapshot, serialized on the thread pool while we go on applying.
        var state = _state;
        var index = state.AppliedIndex;
        var sizeHint = _snapshots.ExpectedSnapshotBytes;
        var compress = _compressSnapshots;
        Task.Run(() => StackSnapshotCodec.Write(state, sizeHint, compress)).PipeTo(
            Self,
            success: data => new SnapshotSerialized(index, data),
            failure: e => new SnapshotSerializationFailed(index, e));
    }

    protected override void PostStop()
    {
        // A read never changed anything: whoever waits may simply retry.
        while (_reads.TryDequeue(out var pending, out _))
            pending.Read.ReplyTo.Tell(new NotStarted("node restarting; read not served"));
        base.PostStop();
    }

    private sealed record SnapshotSerialized(long Index, byte[] Data);

    private sealed record ExpireReads
    {
        public static readonly ExpireReads Instance = new();
    }

    private sealed record SnapshotSerializationFailed(long Index, Exception Cause);
}
