using DistStack.Tests.Support;
using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

/// <summary>
/// Randomized runs: every node ticks on its own phase, clients propose, read, transfer leadership and compact at
/// random, and a chaos event now and then crashes or restarts nodes, cuts or heals links (both ways or one way)
/// and changes the network's loss. Everything comes from the cluster's one seeded <see cref="Random"/>.
/// </summary>
internal sealed partial class SimCluster
{
    private bool _clientsActive;
    private bool _chaosActive;
    private int _chaosMinTicks = 3, _chaosMaxTicks = 40;

    /// <summary>Builds a cluster whose size, faults and Raft knobs are all drawn from <paramref name="seed"/>.</summary>
    public static SimCluster ForRandomRun(int seed, string replayHint, ShellFault fault = ShellFault.None, bool clientsThroughDriver = false)
    {
        var random = new Random(seed ^ 0x5EED);
        var raft = CoreKnobs.For(0, 0) with {
            ElectionTicks = random.Next(6, 13),
            HeartbeatTicks = random.Next(1, 3),
            MaxEntriesPerAppend = random.Next(3) == 0 ? random.Next(1, 4) : 64,
            MaxBytesPerAppend = random.Next(4) == 0 ? 100 : 64 * 1024,
            MaxInflightAppends = random.Next(1, 9),
            SnapshotChunkBytes = random.Next(2) == 0 ? random.Next(16, 200) : 64 * 1024,
            PreVote = random.Next(5) != 0,
            CheckQuorum = random.Next(5) != 0,
        };
        var slowDisk = random.Next(3) == 0;
        var settings = new SimSettings
        {
            Seed = seed,
            Nodes = random.Next(20) switch { < 7 => 3, < 14 => 5, < 16 => 4, < 18 => 2, _ => 1 },
            TickInterval = 10,
            MinDelay = 1,
            MaxDelay = random.Next(2, 16),
            LossRate = random.Next(3) == 0 ? 0 : random.NextDouble() * 0.12,
            DuplicateRate = random.Next(2) == 0 ? 0 : random.NextDouble() * 0.05,
            LongDelayRate = random.Next(2) == 0 ? 0 : random.NextDouble() * 0.05,
            LongDelayMax = 80,
            MinDiskLatency = 1,
            MaxDiskLatency = slowDisk ? 25 : 4,
            Raft = raft,
            ReplayHint = replayHint,
            Fault = fault,
            ClientsThroughDriver = clientsThroughDriver,
        };
        if (random.Next(7) == 0)
        {
            // Hair-trigger elections (timeouts of 2-5 ticks) on a fast network and disk: constant contention,
            // split votes and leader churn, while a round trip still fits in a timeout (so liveness can hold).
            settings = settings with
            {
                Raft = raft with { ElectionTicks = random.Next(2, 6), HeartbeatTicks = 1 },
                MaxDelay = 3, LongDelayRate = 0, MaxDiskLatency = 3,
            };
        }
        // Drawn last so that the draws above stay what they were for every seed.
        settings = settings with { MaxWritesInFlight = random.Next(3) switch { 0 => 1, 1 => random.Next(2, 5), _ => 16 } };
        return new SimCluster(settings);
    }

    public string Describe() =>
        $"{Settings.Nodes} nodes, election {Settings.Raft.ElectionTicks} ticks, heartbeat {Settings.Raft.HeartbeatTicks}, " +
        $"batch {Settings.Raft.MaxEntriesPerAppend}/{Settings.Raft.MaxBytesPerAppend}B, inflight {Settings.Raft.MaxInflightAppends}, " +
        $"chunk {Settings.Raft.SnapshotChunkBytes}B, prevote {Settings.Raft.PreVote}, checkquorum {Settings.Raft.CheckQuorum}, " +
        $"delay 1..{Settings.MaxDelay}, loss {Settings.LossRate:F3}, dup {Settings.DuplicateRate:F3}, long delays {Settings.LongDelayRate:F3}, disk 1..{Settings.MaxDiskLatency}, writes in flight {Settings.MaxWritesInFlight}";

    /// <summary>Runs <paramref name="steps"/> steps of faults and client load, then heals everything and checks liveness.</summary>
    public void RunRandom(int steps, int settleTicks = 400)
    {
        _clientsActive = true;
        _chaosActive = true;
        if (_random.Next(4) == 0) (_chaosMinTicks, _chaosMaxTicks) = (1, 8); // a storm: faults faster than elections
        foreach (var node in _nodes) Schedule(new TickEvent(node.Id), _random.Next(Settings.TickInterval));
        Schedule(new ChaosEvent(), ChaosInterval());
        while (Steps < steps)
            if (!ProcessNext()) throw Fail("the event queue ran dry");
        Settle(settleTicks);
    }

    private long ChaosInterval() => _random.Next(_chaosMinTicks * Settings.TickInterval, _chaosMaxTicks * Settings.TickInterval);

    private void OnTickEvent(SimNode node)
    {
        if (!node.IsUp) return;
        if (_clientsActive) ClientActions(node);
        if (node.IsUp) OnStep(node, TraceKind.Tick, null, static (core, _) => core.Tick());
        if (node.IsUp) ClientTick(node);
    }

    private void ClientActions(SimNode node)
    {
        if (Settings.ClientsThroughDriver && node.Clients is not null)
        {
            // Half the load through the production driver, on any node; the rest drives the core directly below.
            var pick = _random.NextDouble();
            if (pick < 0.12) { SubmitWrite(node.Id); return; }
            if (pick < 0.2) { SubmitRead(node.Id); return; }
        }
        var leaderHere = node.LastSoftState is { Role: RaftRole.Leader };
        var roll = _random.NextDouble();
        if (roll < (leaderHere ? 0.35 : 0.04))
        {
            var burst = _random.Next(6) == 0 ? _random.Next(2, 12) : 1;
            for (var i = 0; i < burst && node.IsUp; i++)
            {
                var (_, result) = Propose(node.Id);
                if (result is not ProposeResult.Accepted) { Stats.ProposalsRefused++; break; }
            }
        }
        else if (roll < 0.45)
        {
            RequestRead(node.Id);
        }
        else if (roll < 0.455 && leaderHere && Settings.Nodes > 1)
        {
            var target = _random.Next(1, Settings.Nodes);
            if (target >= node.Id) target++;
            TransferLeadership(node.Id, target);
        }
        else if (roll < 0.48)
        {
            if (node.Machine.AppliedIndex - node.Disk.Log.SnapshotIndex >= _random.Next(2, 40)) Compact(node.Id);
        }
    }

    private void OnChaosEvent(ChaosEvent chaos)
    {
        if (!_chaosActive) return;
        Schedule(chaos, ChaosInterval());
        var up = _nodes.Where(n => n.IsUp).Select(n => n.Id).ToArray();
        var down = _nodes.Where(n => !n.IsUp).Select(n => n.Id).ToArray();
        var roll = _random.Next(100);
        if (down.Length > 0 && (roll < 30 || down.Length >= Quorum))
        {
            Restart(down[_random.Next(down.Length)]);
        }
        else if (roll < 42 && up.Length > 0)
        {
            Crash(up[_random.Next(up.Length)]);
        }
        else if (roll < 50 && up.Length > 0)
        {
            // Crash in the middle of persisting (a vote, a term, entries) and come back quickly: the lost write
            // and the messages waiting for it must not matter.
            var writing = _nodes.Where(n => n.IsUp && n.Writing).ToArray();
            var victim = writing.Length > 0 ? writing[_random.Next(writing.Length)].Id : up[_random.Next(up.Length)];
            Crash(victim);
            Schedule(new RestartEvent(victim), _random.Next(1, 3 * Settings.TickInterval));
        }
        else if (roll < 62)
        {
            var shuffled = Enumerable.Range(1, Settings.Nodes).OrderBy(_ => _random.Next()).ToArray();
            var cut = _random.Next(1, Settings.Nodes);
            Partition(shuffled[..cut], shuffled[cut..]);
        }
        else if (roll < 70)
        {
            Isolate(_random.Next(1, Settings.Nodes + 1));
        }
        else if (roll < 78 && Settings.Nodes > 1)
        {
            var from = _random.Next(1, Settings.Nodes + 1);
            var to = _random.Next(1, Settings.Nodes);
            if (to >= from) to++;
            Block(from, to);
        }
        else if (roll < 95)
        {
            Heal();
        }
        else
        {
            LossRate = _random.NextDouble() * 0.3;
            Trace.Add(Steps, Now, TraceKind.Note, 0, $"loss now {LossRate:F2}");
        }
    }

    /// <summary>
    /// Liveness after the storm: heal the network, restart every node, stop losing messages; within
    /// <paramref name="maxTicks"/> ticks a leader must commit a probe command and every node must apply it.
    /// </summary>
    /// <summary>Called once per tick while settling (debugging aid).</summary>
    public Action<SimCluster>? OnSettleTick { get; set; }

    public void Settle(int maxTicks)
    {
        _chaosActive = false;
        _clientsActive = false;
        Heal();
        LossRate = 0;
        DuplicateRate = 0;
        LongDelayRate = 0;
        foreach (var node in _nodes) Restart(node.Id);
        // Extreme knobs (one entry per append, one in flight, slow disks) replicate a backlog slowly but surely:
        // allow a few ticks per entry some node still has to catch up on, on top of the fixed budget.
        var backlog = _nodes.Max(n => n.MemLog.LastIndex) - _nodes.Min(n => n.Machine.AppliedIndex);
        var deadline = Now + (maxTicks + 4L * backlog) * Settings.TickInterval;
        // A probe is proposed on the leader; another only when leadership moved since (the first may be lost).
        var probes = new List<long>();
        (int Leader, long Term)? proposedUnder = null;
        while (Now < deadline)
        {
            if (probes.Any(p => _nodes.All(n => n.Machine.Commands.Contains(p))))
            {
                SettleReads(Now + 200L * Settings.TickInterval);
                SettleClients(Now + 40L * Settings.Raft.ElectionTicks * Settings.TickInterval);
                return;
            }
            if (LeaderByStatus() is { } leader && proposedUnder != (leader, Node(leader).Core!.Status.Term))
            {
                var (id, result) = Propose(leader);
                if (result is ProposeResult.Accepted) { probes.Add(id); proposedUnder = (leader, Node(leader).Core!.Status.Term); }
            }
            RunFor(Settings.TickInterval);
            OnSettleTick?.Invoke(this);
        }
        var lagging = _nodes.Select(n => $"n{n.Id} applied {n.Machine.AppliedIndex}/log {n.MemLog.LastIndex}");
        throw Fail($"LIVENESS: after healing everything no probe command was applied on every node within {maxTicks} + 4 x {backlog} ticks " +
                   $"(leader: {LeaderByStatus()?.ToString() ?? "none"}, terms {string.Join(",", _nodes.Select(n => n.Core?.Status.Term))}; {string.Join(", ", lagging)}; probes {string.Join(",", probes)})");
    }

    /// <summary>
    /// Nothing hangs forever: once healed, every read still pending is answered, and a fresh read on every node is
    /// served (retried if refused while leadership moves) and sees the probe.
    /// </summary>
    private void SettleReads(long deadline)
    {
        var fresh = new Dictionary<int, long>();
        while (Now < deadline)
        {
            foreach (var node in _nodes)
            {
                var outcome = fresh.TryGetValue(node.Id, out var id) ? ReadOutcome(node.Id, id) : null;
                if (!fresh.ContainsKey(node.Id) || outcome is { Rejected: not null }) fresh[node.Id] = RequestRead(node.Id);
            }
            var allServed = _nodes.All(n => ReadOutcome(n.Id, fresh[n.Id]) is { Rejected: null });
            var nothingPending = _nodes.All(n => n.RequestedReads.Count == 0 && n.ReadsAwaitingApply.Count == 0);
            if (allServed && nothingPending) return;
            RunFor(Settings.TickInterval);
        }
        var hanging = _nodes.SelectMany(n => n.RequestedReads.Values.Concat(n.ReadsAwaitingApply).Select(r => $"n{n.Id} read {r.RequestId} (step {r.RequestedAtStep}, index {r.ReadIndex})"));
        throw Fail($"LIVENESS: reads not answered after healing: {string.Join("; ", hanging.Take(10))}");
    }

    /// <summary>Every client request still open is answered within its budget; then the outcomes are checked.</summary>
    private void SettleClients(long deadline)
    {
        if (!Settings.ClientsThroughDriver) return;
        while (Now < deadline && _clients.Any(c => c.Answer is null && !c.Dropped)) RunFor(Settings.TickInterval);
        // Copies still in flight may apply a write answered "unknown": let them land before comparing the nodes.
        var backlog = Now + 20L * Settings.Raft.ElectionTicks * Settings.TickInterval;
        while (Now < backlog && _nodes.Min(n => n.Machine.AppliedIndex) < _nodes.Max(n => n.Core!.Status.CommitIndex)) RunFor(Settings.TickInterval);
        CheckClientOutcomes();
    }

    private bool IsAppliedAnywhere(long commandId) => _nodes.Any(n => n.Machine.Commands.Contains(commandId));

    private int? LeaderByStatus()
    {
        foreach (var node in _nodes)
            if (node.IsUp && node.Core!.Status.Role == RaftRole.Leader && !node.Writing) return node.Id;
        return null;
    }
}
