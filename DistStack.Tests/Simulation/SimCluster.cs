using DistStack.Actors.Raft;
using DistStack.Actors.Shell;

namespace DistStack.Tests.Simulation;

/// <summary>
/// A deterministic Raft cluster in virtual time: N RaftCores, a simulated network and simulated disks, all driven
/// by one seeded <see cref="Random"/>. Every processed event is one step, and the invariants are checked after
/// every step. The public methods are the scripted driver used by the scenario tests (Tick, Stabilize, Partition,
/// Heal, Crash, Restart, Propose, ...); <see cref="RunRandom"/> drives a randomized run with faults.
/// </summary>
internal sealed partial class SimCluster
{
    private abstract record SimEvent;
    private sealed record DeliverEvent(RaftMessage Message) : SimEvent;
    private sealed record DurableEvent(int Node, int Incarnation) : SimEvent;
    private sealed record TickEvent(int Node) : SimEvent;
    private sealed record ChaosEvent : SimEvent;
    private sealed record RestartEvent(int Node) : SimEvent;
    private sealed record CrashEvent(int Node, int Incarnation, long RestartAfter) : SimEvent;

    private readonly Random _random;
    private readonly PriorityQueue<SimEvent, (long Time, long Seq)> _queue = new();
    private readonly SimNode[] _nodes;
    private readonly SimInvariants _invariants;
    private long _sequence;
    private long _nextCommandId = 1;

    public SimCluster(SimSettings settings)
    {
        Settings = settings;
        _random = new Random(settings.Seed);
        Configuration = ClusterConfiguration.Of([.. Enumerable.Range(1, settings.Nodes)]);
        var initial = RaftBootstrap.Initial(Configuration);
        _nodes = new SimNode[settings.Slots];
        for (var i = 0; i < settings.Slots; i++)
        {
            var options = settings.Raft with { NodeId = i + 1, ClusterId = settings.ClusterId };
            // Spares start from empty storage when a membership change adds them (SimCluster.Membership.cs).
            var founder = i < settings.Nodes;
            var disk = founder
                ? new SimDisk(initial.HardState, null, new SimLog(0, 0, initial.Entries))
                : new SimDisk(HardState.Empty, null, new SimLog(0, 0, []));
            disk.StorageId = StorageIdOf(i + 1, generation: 0);
            _nodes[i] = new SimNode(i + 1, options, disk) { InService = founder };
        }
        _invariants = new SimInvariants(this, initial.Entries[0], Configuration);
        foreach (var node in _nodes) if (node.InService) StartCore(node);
    }

    public SimSettings Settings { get; }
    public ClusterConfiguration Configuration { get; }
    public SimStats Stats { get; } = new();
    public SimTrace Trace { get; } = new();
    public long Now { get; private set; }
    public long Steps { get; private set; }
    public IReadOnlyList<SimNode> Nodes => _nodes;
    public SimInvariants Invariants => _invariants;
    public int Quorum => Settings.Nodes / 2 + 1;

    public SimNode Node(int id) => _nodes[id - 1];

    /// <summary>How much of the trace a failure prints: DISTSTACK_SIM_TRACE_LINES (default 120), for a replay.</summary>
    private static int TraceLines =>
        int.TryParse(Environment.GetEnvironmentVariable("DISTSTACK_SIM_TRACE_LINES"), out var lines) && lines > 0 ? lines : 120;

    /// <summary>
    /// A storage id that names its node and how many times its disk was wiped (readable in traces, distinct per node),
    /// drawn without the run's random source so that storage ids change no seed's schedule.
    /// </summary>
    private static ulong StorageIdOf(int node, int generation) => (ulong)node * 1000 + (ulong)generation + 1;
    public RaftStatus Status(int id) => Node(id).Core?.Status ?? throw new InvalidOperationException($"n{id} is down");

    // ---------------------------------------------------------------- failing

    /// <summary>Throws with the seed, the step, how to replay, and the tail of the trace.</summary>
    public SimulationViolation Fail(string reason, Exception? inner = null) =>
        throw new SimulationViolation(
            $"Simulation seed {Settings.Seed} failed at step {Steps} (t={Now}): {reason}\n" +
            $"Replay: {Settings.ReplayHint}\n" +
            $"Trace tail (oldest first):\n{Trace.Tail(TraceLines)}", inner);

    // ---------------------------------------------------------------- the event loop

    private void Schedule(SimEvent e, long delay) => _queue.Enqueue(e, (Now + Math.Max(0, delay), _sequence++));

    /// <summary>Processes the next event; false when there is none.</summary>
    private bool ProcessNext()
    {
        if (!_queue.TryDequeue(out var e, out var key)) return false;
        Now = Math.Max(Now, key.Time);
        switch (e)
        {
            case DeliverEvent d:
                var target = Node(d.Message.To);
                if (!target.IsUp) { Trace.Add(Steps, Now, TraceKind.Drop, d.Message.To, d.Message, 3); return true; }
                if (_blocked[d.Message.From - 1, d.Message.To - 1])
                {
                    Trace.Add(Steps, Now, TraceKind.Drop, d.Message.To, d.Message, 2);
                    return true;
                }
                Stats.Delivered++;
                OnStep(target, TraceKind.Deliver, d.Message, static (core, m) => core.Step((RaftMessage)m!));
                return true;
            case DurableEvent durable:
                var node = Node(durable.Node);
                if (node.Incarnation != durable.Incarnation || !node.Writing) return true; // lost in a crash
                Steps++;
                Guard(node, () =>
                {
                    Complete(node, node.Writes.Dequeue(), persisted: true); // writes become durable in order
                    Pump(node);
                });
                AfterStep(node);
                return true;
            case TickEvent tick:
                OnTickEvent(Node(tick.Node));
                Schedule(tick, Settings.TickInterval);
                return true;
            case ChaosEvent chaos:
                OnChaosEvent(chaos);
                return true;
            case ClientDeliverEvent delivery:
                OnClientDeliver(delivery);
                return true;
            case DispatchEvent dispatch:
                OnDispatch(dispatch);
                return true;
            case RestartEvent restart:
                if (_chaosActive) Restart(restart.Node);
                return true;
            case CrashEvent crash:
                if (!_chaosActive || Node(crash.Node).Incarnation != crash.Incarnation) return true;
                Crash(crash.Node);
                Schedule(new RestartEvent(crash.Node), crash.RestartAfter);
                return true;
            default:
                throw new InvalidOperationException(e.ToString());
        }
    }

    /// <summary>One step: an input into one node's core, then its Readies, then the invariants.</summary>
    private void OnStep(SimNode node, TraceKind kind, object? detail, Action<RaftCore, object?> input)
    {
        if (!node.IsUp) throw new InvalidOperationException($"n{node.Id} is down");
        Steps++;
        Trace.Add(Steps, Now, kind, node.Id, detail);
        Guard(node, () =>
        {
            input(node.Core!, detail);
            Pump(node);
        });
        AfterStep(node);
    }

    private void Guard(SimNode node, Action action)
    {
        try
        {
            action();
        }
        catch (SimulationViolation)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw Fail($"n{node.Id}: the core threw {ex.GetType().Name}: {ex.Message}", ex);
        }
    }

    private void AfterStep(SimNode node)
    {
        if (node.IsUp) Guard(node, () => _invariants.AfterStep(node));
    }

    // ---------------------------------------------------------------- scripted driver

    /// <summary>Every live node ticks once; then the network and disks run for one tick interval.</summary>
    public void Tick(int rounds = 1)
    {
        for (var r = 0; r < rounds; r++)
        {
            foreach (var node in _nodes)
                if (node.IsUp) OnStep(node, TraceKind.Tick, null, static (core, _) => core.Tick());
            RunFor(Settings.TickInterval);
        }
    }

    /// <summary>Runs events (no ticks are added) for <paramref name="time"/> units of virtual time.</summary>
    public void RunFor(long time)
    {
        var until = Now + time;
        while (_queue.TryPeek(out _, out var key) && key.Time <= until) ProcessNext();
        Now = until;
    }

    /// <summary>Runs events one time unit at a time (no ticks) until <paramref name="condition"/> holds.</summary>
    public void RunUntil(Func<bool> condition, int maxUnits = 200, bool throwIfNot = true)
    {
        for (var i = 0; i < maxUnits; i++)
        {
            if (condition()) return;
            RunFor(1);
        }
        if (!condition() && throwIfNot) throw Fail($"condition not reached within {maxUnits} time units");
    }

    /// <summary>Delivers every message and completes every write until nothing is left to do (no ticks).</summary>
    public void Stabilize(int maxEvents = 1_000_000)
    {
        for (var i = 0; i < maxEvents; i++)
            if (!ProcessNext()) return;
        throw Fail($"Stabilize did not settle within {maxEvents} events");
    }

    /// <summary>The live node that leads the highest term, if any.</summary>
    public int? Leader()
    {
        int? leader = null;
        long term = -1;
        foreach (var node in _nodes)
        {
            if (!node.IsUp) continue;
            var status = node.Core!.Status;
            if (status.Role == RaftRole.Leader && status.Term > term) (leader, term) = (node.Id, status.Term);
        }
        return leader;
    }

    /// <summary>Ticks until a leader has committed an entry of its own term; returns it.</summary>
    public int ElectLeader(int maxRounds = 200)
    {
        for (var r = 0; r < maxRounds; r++)
        {
            if (Leader() is { } id)
            {
                var node = Node(id);
                var status = node.Core!.Status;
                if (!node.Writing && node.MemLog.TermAt(status.CommitIndex) == status.Term) return id;
            }
            Tick();
        }
        throw Fail($"no leader with a committed entry of its term after {maxRounds} ticks");
    }

    public long NewCommandId() => _nextCommandId++;

    /// <summary>Proposes a new unique command on <paramref name="node"/>; returns its id and the core's answer.</summary>
    public (long CommandId, ProposeResult Result) Propose(int node)
    {
        var commandId = NewCommandId();
        ProposeResult? result = null;
        var target = Node(node);
        OnStep(target, TraceKind.Propose, commandId, (core, _) => result = core.Propose(SimStateMachine.EncodeCommand(commandId)));
        Trace.Add(Steps, Now, TraceKind.Propose, node, result, commandId);
        if (result is ProposeResult.Accepted accepted)
        {
            Stats.ProposalsAccepted++;
            _invariants.OnAccepted(target, accepted, commandId);
        }
        return (commandId, result!);
    }

    /// <summary>Proposes on the current leader (electing one first if needed); returns the command id.</summary>
    public long ProposeOnLeader()
    {
        var leader = Leader() ?? ElectLeader();
        var (id, result) = Propose(leader);
        if (result is not ProposeResult.Accepted) throw Fail($"leader n{leader} refused a proposal: {result}");
        return id;
    }

    /// <summary>Requests a linearizable read on <paramref name="node"/>; the outcome lands in <see cref="ReadOutcome"/>.</summary>
    public long RequestRead(int node)
    {
        var target = Node(node);
        var requestId = target.NextReadId++;
        target.RequestedReads[requestId] = _invariants.NewRead(requestId);
        Stats.ReadsRequested++;
        OnStep(target, TraceKind.ReadIndex, requestId, static (core, id) => core.ReadIndex((long)id!));
        return requestId;
    }

    public SimReadOutcome? ReadOutcome(int node, long requestId) => _readOutcomes.GetValueOrDefault((node, requestId));

    public void TransferLeadership(int from, int to) =>
        OnStep(Node(from), TraceKind.Transfer, to, static (core, target) => core.TransferLeadership((int)target!));

    public void Campaign(int node) => OnStep(Node(node), TraceKind.Note, "campaign", static (core, _) => core.Campaign());

    /// <summary>Steps a hand-made message into a node (e.g. one of another cluster).</summary>
    public void Inject(RaftMessage message) =>
        OnStep(Node(message.To), TraceKind.Deliver, message, static (core, m) => core.Step((RaftMessage)m!));

    /// <summary>
    /// The node snapshots its state machine at its applied index, makes it durable, and hands it to Compact.
    /// Returns false when there is nothing new to compact.
    /// </summary>
    public bool Compact(int id)
    {
        var node = Node(id);
        // Simpler than RaftNode, which queues its compaction's write behind the writes in flight: the state machine may
        // already have applied a Ready's entries, but the core counts them as applied only once the Ready is advanced.
        if (!node.IsUp || node.Loop!.InFlight) return false;
        var index = node.Machine.AppliedIndex;
        if (index <= node.Disk.Log.SnapshotIndex || index > node.Disk.Log.LastIndex) return false;
        var term = node.Disk.Log.TermAt(index);
        var snapshot = new SnapshotData(new SnapshotMetadata(index, term, ConfigurationAt(node, index)), node.Machine.EncodeSnapshot());
        node.Disk.Snapshot = snapshot;
        node.Disk.Log.CompactTo(index, term);
        node.MemLog.CompactTo(index, term);
        Stats.Compactions++;
        Trace.Add(Steps, Now, TraceKind.Compact, id, null, index, term);
        OnStep(node, TraceKind.Note, "compact", (core, _) => core.Compact(snapshot));
        return true;
    }

    /// <summary>The process dies: the core, its unwritten Ready, its pending reads and its state machine are gone.</summary>
    public void Crash(int id)
    {
        var node = Node(id);
        if (!node.IsUp) return;
        Steps++;
        Stats.Crashes++;
        Trace.Add(Steps, Now, TraceKind.Crash, id);
        DropClientsOf(node);
        node.Core = null;
        node.Loop = null;
        node.Writes.Clear();
        node.LastWriteDurableAt = 0;
        if (Settings.Fault == ShellFault.ForgetVoteOnCrash) node.Disk.HardState = node.Disk.HardState with { VotedFor = HardState.NoVote };
        node.Incarnation++;
        node.MemLog = node.Disk.Log.Clone();
        node.MemHardState = node.Disk.HardState;
        node.LastSoftState = null;
        node.RequestedReads.Clear();
        node.ReadsAwaitingApply.Clear();
        node.Machine.Reset();
        node.ObservedCommit = 0;
        node.LastStatusCommit = 0;
        node.DurableLeaderTerm = 0;
    }

    /// <summary>A new process starts from what the crashed one made durable.</summary>
    public void Restart(int id)
    {
        var node = Node(id);
        if (node.IsUp) return;
        Steps++;
        Stats.Restarts++;
        Trace.Add(Steps, Now, TraceKind.Restart, id, $"from term {node.Disk.HardState.Term} vote {node.Disk.HardState.VotedFor}, snapshot {node.Disk.Log.SnapshotIndex}, log to {node.Disk.Log.LastIndex}");
        StartCore(node);
        AfterStep(node);
    }

    private void StartCore(SimNode node)
    {
        var random = new SeededRandomSource(_random.Next());
        Guard(node, () =>
        {
            node.Core = new RaftCore(node.Options with { StorageId = node.Disk.StorageId }, random, node.Disk.ToDurableState());
            node.Loop = new ReadyLoop(node.Core, Settings.MaxWritesInFlight);
            StartClientRequests(node);
            var status = node.Core.Status;
            if (status.LastLogIndex != node.Disk.Log.LastIndex || status.Term != node.Disk.HardState.Term ||
                status.SnapshotIndex != node.Disk.Log.SnapshotIndex)
                throw Fail($"n{node.Id} restarted from disk (term {node.Disk.HardState.Term}, snapshot {node.Disk.Log.SnapshotIndex}, log to {node.Disk.Log.LastIndex}) " +
                           $"but reports term {status.Term}, snapshot {status.SnapshotIndex}, log to {status.LastLogIndex}");
            node.MemLog = node.Disk.Log.Clone();
            node.MemHardState = node.Disk.HardState;
            if (node.Disk.Snapshot is { } snapshot)
            {
                _invariants.CheckSnapshotContent(node, snapshot);
                node.Machine.Restore(snapshot);
            }
            else
            {
                node.Machine.Reset();
            }
            Pump(node);
        });
    }

    /// <summary>The commands a node has applied, in order.</summary>
    public IReadOnlyList<long> Applied(int id) => Node(id).Machine.Commands;

    public bool AppliedEverywhere(long commandId) =>
        _nodes.All(n => n.IsUp && n.Machine.Commands.Contains(commandId));

    /// <summary>Ticks until every live node (or each of <paramref name="on"/>) has applied <paramref name="commandId"/>.</summary>
    public void WaitApplied(long commandId, int maxRounds = 200, params int[] on)
    {
        var nodes = on.Length == 0 ? _nodes : [.. on.Select(Node)];
        for (var r = 0; r < maxRounds; r++)
        {
            if (nodes.Where(n => n.IsUp).All(n => n.Machine.Commands.Contains(commandId))) return;
            Tick();
        }
        throw Fail($"command {commandId} not applied on every live node{(on.Length == 0 ? "" : " of " + string.Join(",", on))} after {maxRounds} ticks");
    }
}

internal sealed record SimReadOutcome(long ReadIndex, long Value, ReadRejection? Rejected);

/// <summary>Counters reported by the randomized runs and used by scenario assertions.</summary>
internal sealed class SimStats
{
    public long MessagesSent;
    public long Delivered;
    public long Dropped;
    public long Duplicated;
    public long ProposalsAccepted;
    public long ProposalsRefused;
    public long ReadsRequested;
    public long ReadsServed;
    public long ReadsRejected;
    public long Compactions;
    public long SnapshotsInstalled;
    public long Crashes;
    public long Restarts;
    public long Partitions;
    public long EntriesApplied;

    /// <summary>Writes queued while another write of the same node was still in flight (asynchronous storage writes).</summary>
    public long WritesQueuedBehindAnother;
    public long AppendRejections;
    public readonly Dictionary<Type, long> SentByType = [];
    public readonly Dictionary<(int From, int To, Type Type), long> SentByLink = [];

    public long Sent<T>() where T : RaftMessage => SentByType.GetValueOrDefault(typeof(T));
    public long Sent<T>(int from, int to) where T : RaftMessage => SentByLink.GetValueOrDefault((from, to, typeof(T)));
}
