using DistStack.Actors.Raft;
using DistStack.Actors.Shell;
using DistStack.Actors.Stacks;
using DistStack.Actors.Node;

namespace DistStack.Tests.Simulation;

/// <summary>
/// The Ready contract carried out by the production <see cref="ReadyLoop"/> (the class RaftNode runs), with
/// persistence taking time: take Readies (up to SimSettings.MaxWritesInFlight before the first is durable), send
/// their Messages and apply what they hand out at once, let each write become durable later and in order (scheduled
/// events), and only then send the MessagesAfterDurable the loop says are due and advance (and, after a leader's
/// snapshot, restore and apply). A crash loses the writes still in flight and those messages. Like RaftNode, the
/// simulator keeps feeding the core while writes are in flight.
/// </summary>
internal sealed partial class SimCluster
{
    private readonly Dictionary<(int Node, long RequestId), SimReadOutcome> _readOutcomes = [];

    private void Pump(SimNode node)
    {
        for (var taken = 0; ; taken++)
        {
            if (node.Core is null || node.Loop is null || node.Loop.Take() is not { } next) return;
            if (taken > 1000) throw Fail($"n{node.Id} offered over 1000 Readies in one step (livelock?)");
            Take(node, next);
            if (next.Ready.MustPersist)
            {
                // Durable after its own latency, but never before the writes queued ahead of it.
                if (node.Writing) Stats.WritesQueuedBehindAnother++;
                node.Writes.Enqueue(next);
                var durableAt = Math.Max(Now + DiskLatency(node), node.LastWriteDurableAt);
                node.LastWriteDurableAt = durableAt;
                Schedule(new DurableEvent(node.Id, node.Incarnation), durableAt - Now);
                continue;
            }
            Complete(node, next, persisted: false);
        }
    }

    /// <summary>The first half: the model of the core's memory follows the Ready; Messages leave; what the loop hands out now is applied.</summary>
    private void Take(SimNode node, ReadyTaken taken)
    {
        var ready = taken.Ready;
        Trace.Add(Steps, Now, TraceKind.TakeReady, node.Id, ready);
        var before = node.LastSoftState;
        if (ready.SoftState is { } soft) node.LastSoftState = soft;
        var leaderAppendOnly = before is { Role: RaftRole.Leader } && node.LastSoftState is { Role: RaftRole.Leader } now &&
                               now.Term == before.Term;

        if (ready.HardState is { } hard)
        {
            _invariants.CheckHardStateChange(node, node.MemHardState, hard, "in memory");
            node.MemHardState = hard;
        }
        if (ready.Snapshot is { } snapshot)
        {
            if (leaderAppendOnly) throw Fail($"n{node.Id} installs a snapshot while leader of term {before!.Term}");
            _invariants.CheckIncomingSnapshot(node, snapshot);
            var at = snapshot.Metadata.LastIncludedIndex;
            node.MemLog.InstallSnapshot(at, snapshot.Metadata.LastIncludedTerm, e => _invariants.CheckDiscard(node, e, at, "in memory"));
        }
        if (ready.Entries.Count > 0)
        {
            _invariants.CheckEntries(node, node.MemLog, ready.Entries, leaderAppendOnly, "in memory");
            _invariants.RegisterEntries(node, node.MemLog, ready.Entries);
            node.MemLog.Replace(ready.Entries, null);
        }
        if (ready.SoftState is { } changed)
        {
            _invariants.OnSoftState(node, changed);
            node.Clients?.OnSoftState(changed);
        }
        for (var i = 0; i < taken.SendNow.Count; i++)
        {
            _invariants.CheckPromise(node, taken.SendNow[i], afterDurable: false);
            Send(node, taken.SendNow[i], afterDurable: false);
        }
        if (Settings.Fault == ShellFault.AcknowledgeBeforeDurable)
            for (var i = 0; i < ready.MessagesAfterDurable.Count; i++) Send(node, ready.MessagesAfterDurable[i], afterDurable: false);
        Apply(node, taken.ApplyNow, taken.ReadsNow);
    }

    /// <summary>The second half: the write is durable; the loop advances the core and says what follows.</summary>
    private void Complete(SimNode node, ReadyTaken taken, bool persisted)
    {
        var ready = taken.Ready;
        Trace.Add(Steps, Now, TraceKind.Durable, node.Id, null, persisted ? 1 : 0);
        var disk = node.Disk;
        if (ready.HardState is { } hard)
        {
            _invariants.CheckHardStateChange(node, disk.HardState, hard, "on disk");
            disk.HardState = hard;
        }
        if (ready.Snapshot is { } snapshot)
        {
            var at = snapshot.Metadata.LastIncludedIndex;
            if (at > disk.Log.SnapshotIndex)
            {
                disk.Snapshot = snapshot;
                disk.Log.InstallSnapshot(at, snapshot.Metadata.LastIncludedTerm, e => _invariants.CheckDiscard(node, e, at, "on disk"));
            }
        }
        if (ready.Entries.Count > 0)
        {
            _invariants.CheckEntries(node, disk.Log, ready.Entries, leaderAppendOnly: false, "on disk");
            disk.Log.Replace(ready.Entries, null);
        }

        foreach (var durable in node.Loop!.Durable(taken))
        {
            for (var i = 0; i < durable.SendNow.Count && Settings.Fault != ShellFault.AcknowledgeBeforeDurable; i++)
            {
                _invariants.CheckPromise(node, durable.SendNow[i], afterDurable: true);
                Send(node, durable.SendNow[i], afterDurable: true);
            }
            if (durable.Restore is { } restored)
            {
                _invariants.CheckSnapshotRestore(node, restored);
                node.Machine.Restore(restored);
                node.Clients?.SnapshotInstalled(restored.Metadata.LastIncludedIndex); // as RaftNode does
                Stats.SnapshotsInstalled++;
            }
            Apply(node, durable.ApplyNow, durable.ReadsNow);
        }
        ServeAwaitingReads(node);
    }

    private void Apply(SimNode node, IReadOnlyList<LogEntry> committed, IReadOnlyList<ReadState> reads)
    {
        var waiters = ClientWaiters(node, committed);
        if (committed.Count > 0)
        {
            Trace.Add(Steps, Now, TraceKind.Apply, node.Id, null, committed[0].Index, committed[^1].Index);
            for (var i = 0; i < committed.Count; i++)
            {
                var entry = committed[i];
                _invariants.CheckDurableBeforeApply(node, entry);
                _invariants.BeforeApply(node, entry);
                node.Machine.Apply(entry);
                _invariants.AfterApply(node, entry);
                if (waiters.TryGetValue(entry.Index, out var waiter))
                    AnswerClient(node, waiter, new Completed(new StackResult(StackOutcome.Ok)));
            }
            Stats.EntriesApplied += committed.Count;
        }
        List<ReadState>? clientReads = null;
        for (var i = 0; i < reads.Count; i++)
        {
            if (node.Clients is not null && reads[i].RequestId >= ClientReadIds) (clientReads ??= []).Add(reads[i]);
            else OnReadState(node, reads[i]);
        }
        if (clientReads is not null) node.Clients!.OnReadStates(clientReads);
        ServeAwaitingReads(node);
        ServeClientReads(node);
    }

    private void OnReadState(SimNode node, ReadState state)
    {
        if (!node.RequestedReads.Remove(state.RequestId, out var read))
            throw Fail($"n{node.Id} got a ReadState for request {state.RequestId}, which is unknown or already answered");
        if (state.Rejected is { } rejection)
        {
            Stats.ReadsRejected++;
            _readOutcomes[(node.Id, state.RequestId)] = new SimReadOutcome(state.ReadIndex, -1, rejection);
            Trace.Add(Steps, Now, TraceKind.ReadServed, node.Id, rejection, state.RequestId, state.ReadIndex);
            return;
        }
        read.ReadIndex = state.ReadIndex;
        node.ReadsAwaitingApply.Add(read);
        if (Settings.Fault == ShellFault.ServeReadsBeforeApplied) ServeAwaitingReads(node, servedEarly: true);
    }

    private void ServeAwaitingReads(SimNode node, bool servedEarly = false)
    {
        var reads = node.ReadsAwaitingApply;
        for (var i = reads.Count - 1; i >= 0; i--)
        {
            var read = reads[i];
            if (node.Machine.AppliedIndex < read.ReadIndex && !servedEarly) continue;
            reads.RemoveAt(i);
            var value = _invariants.CheckRead(node, read);
            Stats.ReadsServed++;
            _readOutcomes[(node.Id, read.RequestId)] = new SimReadOutcome(read.ReadIndex, value, null);
            Trace.Add(Steps, Now, TraceKind.ReadServed, node.Id, value, read.RequestId, read.ReadIndex);
        }
    }

    private readonly Dictionary<int, int> _diskLatencyOf = [];

    /// <summary>Scripted tests: this node's disk takes exactly <paramref name="latency"/> units per write.</summary>
    public void SetDiskLatency(int node, int latency) => _diskLatencyOf[node] = latency;

    private long DiskLatency(SimNode node)
    {
        var latency = _random.Next(Settings.MinDiskLatency, Settings.MaxDiskLatency + 1);
        return _diskLatencyOf.TryGetValue(node.Id, out var fixedLatency) ? fixedLatency : latency;
    }
}
