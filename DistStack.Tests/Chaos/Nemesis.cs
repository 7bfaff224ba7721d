namespace DistStack.Tests.Chaos;

public enum FaultKind
{
    KillLeader,
    KillFollower,
    KillTwo,
    PauseLeader,
    PauseFollower,
    FullClusterRestart,
    IsolateLeader,
    SplitTwoThree,
    LeaderCannotSend,
    LeaderCannotHear,
    ReplaceFollower,
    ReplaceLeader,
    RemoveThenAddBack,
}

/// <summary>One injected fault, stamped with the run clock (microseconds).</summary>
public sealed record FaultEvent(FaultKind Kind, string Targets, int? LeaderBefore, long StartMicros, long EndMicros, string Detail)
{
    public override string ToString() =>
        $"{ChaosClock.Format(StartMicros)} .. {ChaosClock.Format(EndMicros)}  {Kind,-18} {Targets,-14} leader-before {LeaderBefore?.ToString() ?? "?"}  {Detail}";
}

/// <summary>
/// The seeded fault schedule: one fault at a time, each healed before the next (kills are followed by a restart
/// from the same data dir), with quiet gaps; a full-cluster restart once per run, and at least one membership fault
/// (<see cref="MembershipFaults"/>) early in every run, so that even the short CI profile replaces a node.
/// </summary>
public sealed class Nemesis(IChaosCluster cluster, ClusterProbe probe, ChaosClock clock, Random random, Action<string> log)
{
    private readonly List<FaultEvent> _events = [];
    private readonly List<CatchUp> _catchUps = [];
    private readonly CatchUpWatch _catchUpWatch = new(cluster, probe, clock);
    // Its own generator: how often a change is retried depends on timing, and must not shift the seed's schedule.
    private readonly MembershipFaults _membership = new(cluster, probe, new Random(random.Next()), log);

    private readonly List<string> _failures = [];

    /// <summary>
    /// Membership faults that did not complete within their bounds (healing finished them, if it could): a replaced
    /// node that cannot become a voter again is a liveness bug, as a node that does not catch up is.
    /// </summary>
    public IReadOnlyList<string> Failures => _failures;

    /// <summary>After each heal, how long each live node took to apply the leader's commit index of that moment.</summary>
    public IReadOnlyList<CatchUp> CatchUps => _catchUps;

    public IReadOnlyList<FaultEvent> Events
    {
        get
        {
            lock (_events)
            {
                return _events.ToList();
            }
        }
    }

    public async Task RunAsync(TimeSpan duration, CancellationToken cancellation)
    {
        var start = clock.NowMicros;
        var end = start + (long)duration.TotalMicroseconds;
        var fullRestartAt = start + (long)(duration.TotalMicroseconds * (0.35 + 0.3 * random.NextDouble()));
        var fullRestartDone = false;
        // Before the full restart's earliest time, so that both happen in the shortest run.
        var membershipAt = start + (long)(duration.TotalMicroseconds * (0.05 + 0.2 * random.NextDouble()));
        FaultKind? scheduledMembership = !cluster.SupportsWipe ? FaultKind.RemoveThenAddBack
            : random.Next(2) == 0 ? FaultKind.ReplaceFollower : FaultKind.ReplaceLeader;
        while (clock.NowMicros < end && !cancellation.IsCancellationRequested)
        {
            await Task.Delay(500 + random.Next(2000), cancellation).ContinueWith(_ => { });
            if (clock.NowMicros >= end)
            {
                break;
            }

            if (!fullRestartDone && clock.NowMicros >= fullRestartAt)
            {
                await FullRestartAsync();
                fullRestartDone = true;
                await MeasureCatchUpAsync();
                continue;
            }

            // One fault at a time: a restarted node still booting plus a new kill could take the majority away.
            await WaitUntilAllAnswerAsync(TimeSpan.FromSeconds(30));
            var kind = Pick();
            if (scheduledMembership is { } scheduled && clock.NowMicros >= membershipAt)
            {
                kind = scheduled;
                scheduledMembership = null;
            }

            try
            {
                await InjectAsync(kind, remainingMicros: end - clock.NowMicros);
            }
            catch (Exception e)
            {
                log($"nemesis: {kind} failed: {e.Message}");
                if (kind is FaultKind.ReplaceFollower or FaultKind.ReplaceLeader or FaultKind.RemoveThenAddBack)
                {
                    _failures.Add($"{kind} did not complete: {e.Message}");
                }

                await HealEverythingAsync();
                continue;
            }

            await MeasureCatchUpAsync();
        }

        if (!fullRestartDone)
        {
            await FullRestartAsync();
            await MeasureCatchUpAsync();
        }
    }

    /// <summary>The fault just recorded has healed: every live node must catch up within CatchUpWatch.Limit.</summary>
    private async Task MeasureCatchUpAsync()
    {
        FaultEvent healed;
        lock (_events)
        {
            healed = _events[^1];
        }

        var catchUps = await _catchUpWatch.MeasureAsync(healed);
        _catchUps.AddRange(catchUps);
        var slowest = catchUps.Where(c => c.InTime).Select(c => c.Millis!.Value).DefaultIfEmpty(0).Max();
        log($"nemesis: after {healed.Kind} every live node caught up within {slowest} ms" +
            string.Concat(catchUps.Where(c => !c.InTime).Select(c => $"; {c}")));
    }

    private async Task WaitUntilAllAnswerAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if ((await probe.StatusesAsync(TimeSpan.FromSeconds(2))).Count == cluster.Nodes.Count)
            {
                return;
            }

            await Task.Delay(200);
        }

        log($"nemesis: not every node answers /cluster/status after {timeout.TotalSeconds:F0}s; injecting the next fault anyway");
    }

    /// <summary>Start what is dead, resume what is paused, remove network faults.</summary>
    public async Task HealEverythingAsync()
    {
        await cluster.HealAsync();
        foreach (var node in cluster.Nodes)
        {
            if (node.IsPaused)
            {
                node.Resume();
            }

            if (!node.IsRunning)
            {
                node.Start();
            }
        }

        try
        {
            await _membership.FinishAsync();
        }
        catch (Exception e)
        {
            // The final checks (five nodes at one digest) will say it; the run must still end with a verdict.
            log($"nemesis: could not finish a membership fault: {e.Message}");
        }
    }

    private FaultKind Pick()
    {
        (FaultKind Kind, int Weight)[] weights = cluster.SupportsPartitions
            ?
            [
                (FaultKind.KillLeader, 20), (FaultKind.KillFollower, 7), (FaultKind.KillTwo, 5), (FaultKind.PauseLeader, 12),
                (FaultKind.PauseFollower, 6), (FaultKind.IsolateLeader, 16), (FaultKind.SplitTwoThree, 16),
                (FaultKind.LeaderCannotSend, 9), (FaultKind.LeaderCannotHear, 9), (FaultKind.ReplaceFollower, 4),
                (FaultKind.ReplaceLeader, 4), (FaultKind.RemoveThenAddBack, 3),
            ]
            :
            [
                (FaultKind.KillLeader, 35), (FaultKind.KillFollower, 12), (FaultKind.KillTwo, 10), (FaultKind.PauseLeader, 28),
                (FaultKind.PauseFollower, 15), (FaultKind.ReplaceFollower, 5), (FaultKind.ReplaceLeader, 5),
                (FaultKind.RemoveThenAddBack, 4),
            ];
        if (!cluster.SupportsWipe)
        {
            weights = weights.Where(w => w.Kind is not (FaultKind.ReplaceFollower or FaultKind.ReplaceLeader)).ToArray();
        }

        var roll = random.Next(weights.Sum(w => w.Weight));
        foreach (var (kind, weight) in weights)
        {
            if ((roll -= weight) < 0)
            {
                return kind;
            }
        }

        return weights[0].Kind;
    }

    private async Task InjectAsync(FaultKind kind, long remainingMicros)
    {
        var leader = await probe.LeaderAsync();
        var leaderId = leader?.Id;
        var others = cluster.Nodes.Where(n => n != leader).ToList();
        IChaosNode AnyFollower() => others[random.Next(others.Count)];
        var hold = TimeSpan.FromMilliseconds(Math.Min(1000 + random.Next(5000), Math.Max(500, remainingMicros / 1000)));
        switch (kind)
        {
            case FaultKind.KillLeader:
            case FaultKind.KillFollower:
            case FaultKind.KillTwo:
            {
                var victims = kind switch
                {
                    FaultKind.KillLeader => [leader ?? AnyFollower()],
                    FaultKind.KillFollower => [AnyFollower()],
                    _ => cluster.Nodes.OrderBy(_ => random.Next()).Take(2).ToList(),
                };
                var started = clock.NowMicros;
                foreach (var victim in victims)
                {
                    victim.Note($"chaos: SIGKILL ({kind})");
                    await victim.KillAsync();
                }

                log($"nemesis: {kind} killed {Names(victims)} (leader was {leaderId?.ToString() ?? "?"}); down for {hold.TotalSeconds:F1}s");
                await Task.Delay(hold);
                foreach (var victim in victims)
                {
                    victim.Start();
                }

                Record(kind, victims, leaderId, started, $"down {hold.TotalSeconds:F1}s, restarted from its data dir");
                break;
            }

            case FaultKind.PauseLeader:
            case FaultKind.PauseFollower:
            {
                var victim = kind == FaultKind.PauseLeader ? leader ?? AnyFollower() : AnyFollower();
                var started = clock.NowMicros;
                victim.Note($"chaos: SIGSTOP ({kind})");
                victim.Pause();
                log($"nemesis: {kind} paused node {victim.Id} (leader was {leaderId?.ToString() ?? "?"}) for {hold.TotalSeconds:F1}s");
                await Task.Delay(hold);
                victim.Resume();
                victim.Note("chaos: SIGCONT");
                Record(kind, [victim], leaderId, started, $"paused {hold.TotalSeconds:F1}s");
                break;
            }

            case FaultKind.IsolateLeader:
            case FaultKind.LeaderCannotSend:
            case FaultKind.LeaderCannotHear:
            {
                var center = leader ?? AnyFollower();
                var started = clock.NowMicros;
                var links = new List<(int From, int To)>();
                foreach (var other in cluster.Nodes.Where(n => n != center))
                {
                    if (kind != FaultKind.LeaderCannotHear)
                    {
                        links.Add((center.Id, other.Id));
                    }

                    if (kind != FaultKind.LeaderCannotSend)
                    {
                        links.Add((other.Id, center.Id));
                    }
                }

                await cluster.BlockAsync(links);

                center.Note($"chaos: network {kind}");
                log($"nemesis: {kind} around node {center.Id} (leader was {leaderId?.ToString() ?? "?"}) for {hold.TotalSeconds:F1}s");
                await Task.Delay(hold);
                await cluster.HealAsync();
                Record(kind, [center], leaderId, started, $"held {hold.TotalSeconds:F1}s, clients still reach every node");
                break;
            }

            case FaultKind.SplitTwoThree:
            {
                var shuffled = cluster.Nodes.OrderBy(_ => random.Next()).ToList();
                if (leader is not null && random.Next(3) > 0)
                {
                    // Usually strand the old leader in the minority: the interesting case.
                    shuffled.Remove(leader);
                    shuffled.Insert(0, leader);
                }

                var minority = shuffled.Take(2).ToList();
                var majority = shuffled.Skip(2).ToList();
                var started = clock.NowMicros;
                await cluster.BlockAsync(minority.SelectMany(a => majority.SelectMany(b => new[] { (a.Id, b.Id), (b.Id, a.Id) })).ToList());

                log($"nemesis: split {Names(minority)} | {Names(majority)} (leader was {leaderId?.ToString() ?? "?"}) for {hold.TotalSeconds:F1}s");
                await Task.Delay(hold);
                await cluster.HealAsync();
                Record(kind, minority.Concat(majority).ToList(), leaderId, started, $"{Names(minority)} | {Names(majority)}, held {hold.TotalSeconds:F1}s");
                break;
            }

            case FaultKind.ReplaceFollower:
            case FaultKind.ReplaceLeader:
            case FaultKind.RemoveThenAddBack:
            {
                var victim = kind == FaultKind.ReplaceLeader ? leader ?? AnyFollower() : AnyFollower();
                var started = clock.NowMicros;
                var wipe = kind != FaultKind.RemoveThenAddBack;
                victim.Note($"chaos: {kind}");
                log($"nemesis: {kind} of node {victim.Id} (leader was {leaderId?.ToString() ?? "?"})");
                var steps = await _membership.ReplaceAsync(victim, wipe, hold);
                Record(kind, [victim], leaderId, started, wipe ? $"replaced with an empty data dir: {steps}" : $"removed and added back: {steps}");
                break;
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    private async Task FullRestartAsync()
    {
        var leader = await probe.LeaderAsync();
        var started = clock.NowMicros;
        log("nemesis: full-cluster restart (SIGKILL all, start all)");
        await cluster.HealAsync();
        foreach (var node in cluster.Nodes)
        {
            node.Note("chaos: SIGKILL (full-cluster restart)");
            await node.KillAsync();
        }

        await Task.Delay(500 + random.Next(1500));
        foreach (var node in cluster.Nodes)
        {
            node.Start();
        }

        Record(FaultKind.FullClusterRestart, cluster.Nodes.ToList(), leader?.Id, started, "all killed, all restarted from their data dirs");
    }

    private void Record(FaultKind kind, IReadOnlyList<IChaosNode> targets, int? leaderBefore, long started, string detail)
    {
        lock (_events)
        {
            _events.Add(new FaultEvent(kind, Names(targets), leaderBefore, started, clock.NowMicros, detail));
        }
    }

    private static string Names(IEnumerable<IChaosNode> nodes) => string.Join(",", nodes.Select(n => $"n{n.Id}"));
}
