using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

/// <summary>
/// The Ready contract carried out the way a real shell must, with persistence taking time: take a Ready, send its
/// Messages at once, let the write become durable later (a scheduled event), and only then send
/// MessagesAfterDurable, apply, serve reads and Advance. A crash in between loses the write and those messages.
/// </summary>
internal sealed partial class SimCluster
{
    private readonly Dictionary<(int Node, long RequestId), SimReadOutcome> _readOutcomes = [];

    private void Pump(SimNode node)
    {
        for (var taken = 0; ; taken++)
        {
            if (node.Core is null || node.Pending is not null || !node.Core.HasReady()) return;
            if (taken > 1000) throw Fail($"n{node.Id} offered over 1000 Readies in one step (livelock?)");
            var ready = node.Core.GetReady();
            Take(node, ready);
            if (ready.MustPersist)
            {
                node.Pending = ready;
                Schedule(new DurableEvent(node.Id, node.Incarnation), DiskLatency(node));
                return;
            }
            Complete(node, ready, persisted: false);
        }
    }

    /// <summary>Steps 1 of the contract: the model of the core's memory follows the Ready; Messages leave now.</summary>
    private void Take(SimNode node, Ready ready)
    {
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
        if (ready.SoftState is { } changed) _invariants.OnSoftState(node, changed);
        for (var i = 0; i < ready.Messages.Count; i++)
        {
            _invariants.CheckPromise(node, ready.Messages[i], afterDurable: false);
            Send(node, ready.Messages[i], afterDurable: false);
        }
        if (Settings.Fault == ShellFault.AcknowledgeBeforeDurable)
            for (var i = 0; i < ready.MessagesAfterDurable.Count; i++) Send(node, ready.MessagesAfterDurable[i], afterDurable: false);
    }

    /// <summary>Steps 2-5: the write is durable; send what needed it, apply, serve reads, Advance.</summary>
    private void Complete(SimNode node, Ready ready, bool persisted)
    {
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
        for (var i = 0; i < ready.MessagesAfterDurable.Count && Settings.Fault != ShellFault.AcknowledgeBeforeDurable; i++)
        {
            _invariants.CheckPromise(node, ready.MessagesAfterDurable[i], afterDurable: true);
            Send(node, ready.MessagesAfterDurable[i], afterDurable: true);
        }

        if (ready.Snapshot is { } restored)
        {
            _invariants.CheckSnapshotRestore(node, restored);
            node.Machine.Restore(restored);
            Stats.SnapshotsInstalled++;
        }
        if (ready.CommittedEntries.Count > 0)
        {
            Trace.Add(Steps, Now, TraceKind.Apply, node.Id, null, ready.CommittedEntries[0].Index, ready.CommittedEntries[^1].Index);
            for (var i = 0; i < ready.CommittedEntries.Count; i++)
            {
                var entry = ready.CommittedEntries[i];
                _invariants.BeforeApply(node, entry);
                node.Machine.Apply(entry);
                _invariants.AfterApply(node, entry);
            }
            Stats.EntriesApplied += ready.CommittedEntries.Count;
        }
        for (var i = 0; i < ready.ReadStates.Count; i++) OnReadState(node, ready.ReadStates[i]);
        ServeAwaitingReads(node);

        node.Pending = null;
        node.Core!.Advance(ready);
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
