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

    /// <summary>Builds a cluster whose size, faults and Raft knobs are all drawn from <paramref name="seed"/>.</summary>
    public static SimCluster ForRandomRun(int seed, string replayHint)
    {
        var random = new Random(seed ^ 0x5EED);
        var raft = new RaftOptions(0, 0)
        {
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
            Nodes = random.Next(3) == 0 ? 3 : 5,
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
        };
        return new SimCluster(settings);
    }

    public string Describe() =>
        $"{Settings.Nodes} nodes, election {Settings.Raft.ElectionTicks} ticks, heartbeat {Settings.Raft.HeartbeatTicks}, " +
        $"batch {Settings.Raft.MaxEntriesPerAppend}/{Settings.Raft.MaxBytesPerAppend}B, inflight {Settings.Raft.MaxInflightAppends}, " +
        $"chunk {Settings.Raft.SnapshotChunkBytes}B, prevote {Settings.Raft.PreVote}, checkquorum {Settings.Raft.CheckQuorum}, " +
        $"delay 1..{Settings.MaxDelay}, loss {Settings.LossRate:F3}, dup {Settings.DuplicateRate:F3}, long delays {Settings.LongDelayRate:F3}, disk 1..{Settings.MaxDiskLatency}";

    /// <summary>Runs <paramref name="steps"/> steps of faults and client load, then heals everything and checks liveness.</summary>
    public void RunRandom(int steps, int settleTicks = 400)
    {
        _clientsActive = true;
        _chaosActive = true;
        foreach (var node in _nodes) Schedule(new TickEvent(node.Id), _random.Next(Settings.TickInterval));
        Schedule(new ChaosEvent(), ChaosInterval());
        while (Steps < steps)
            if (!ProcessNext()) throw Fail("the event queue ran dry");
        Settle(settleTicks);
    }

    private long ChaosInterval() => _random.Next(3 * Settings.TickInterval, 40 * Settings.TickInterval);

    private void OnTickEvent(SimNode node)
    {
        if (!node.IsUp) return;
        if (_clientsActive) ClientActions(node);
        if (node.IsUp) OnStep(node, TraceKind.Tick, null, static (core, _) => core.Tick());
    }

    private void ClientActions(SimNode node)
    {
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
        else if (roll < 0.455 && leaderHere)
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
        else if (roll < 50 && up.Length > 0)
        {
            Crash(up[_random.Next(up.Length)]);
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
        else if (roll < 78)
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
    public void Settle(int maxTicks)
    {
        _chaosActive = false;
        _clientsActive = false;
        Heal();
        LossRate = 0;
        DuplicateRate = 0;
        LongDelayRate = 0;
        foreach (var node in _nodes) Restart(node.Id);
        var deadline = Now + (long)maxTicks * Settings.TickInterval;
        long? probe = null;
        var lastPropose = -1L;
        while (Now < deadline)
        {
            if (probe is { } p && _nodes.All(n => n.Machine.Commands.Contains(p))) return;
            if (Now - lastPropose >= 10 * Settings.TickInterval && LeaderByStatus() is { } leader && (probe is null || !IsAppliedAnywhere(probe.Value)))
            {
                var (id, result) = Propose(leader);
                if (result is ProposeResult.Accepted) probe = id;
                lastPropose = Now;
            }
            RunFor(Settings.TickInterval);
        }
        throw Fail($"LIVENESS: after healing everything no probe command was applied on every node within {maxTicks} ticks " +
                   $"(leader: {LeaderByStatus()?.ToString() ?? "none"}, terms {string.Join(",", _nodes.Select(n => n.Core?.Status.Term))})");
    }

    private bool IsAppliedAnywhere(long commandId) => _nodes.Any(n => n.Machine.Commands.Contains(commandId));

    private int? LeaderByStatus()
    {
        foreach (var node in _nodes)
            if (node.IsUp && node.Core!.Status.Role == RaftRole.Leader && node.Pending is null) return node.Id;
        return null;
    }
}
