namespace DistStack.Tests.Chaos;

/// <summary>
/// How one live node caught up after a fault healed: <see cref="Millis"/> from the heal (or, for a node that was
/// restarted, from its first answer after it: booting a process is not catching up) until it applied the leader's
/// commit index of that moment; null = not within <see cref="CatchUpWatch.Limit"/>.
/// </summary>
public sealed record CatchUp(FaultKind Fault, string Targets, int NodeId, long HealMicros, long? TargetIndex, long? Millis, long BootMillis)
{
    public bool InTime => Millis is not null;

    public override string ToString() => InTime
        ? $"n{NodeId} caught up with index {TargetIndex} {Millis} ms after the heal of {Fault} {Targets} at {ChaosClock.Format(HealMicros)}" +
          (BootMillis > 0 ? $" (answering {BootMillis} ms after the heal)" : "")
        : $"n{NodeId} did NOT apply the leader's commit index {TargetIndex?.ToString() ?? "(no leader seen)"} within " +
          $"{CatchUpWatch.Limit.TotalSeconds:F0} s of the heal of {Fault} {Targets} at {ChaosClock.Format(HealMicros)}" +
          (BootMillis > 0 ? $" (answering {BootMillis} ms after the heal)" : BootMillis < 0 ? $" (not answering within {CatchUpWatch.BootLimit.TotalSeconds:F0} s)" : "") +
          (TargetIndex is null ? $" (no leader within {CatchUpWatch.BootLimit.TotalSeconds:F0} s)" : "");
}

/// <summary>
/// The liveness check after every heal: each live node must apply, within <see cref="Limit"/>, the commit index the
/// leader had when the fault healed (the first leader seen after it, when none was known at that moment). A node that
/// stays behind after a fault is gone is a liveness bug (one-way transport associations, a stuck snapshot transfer),
/// and it silently halves the cluster's fault tolerance, so it fails the run. A restarted node's time counts from
/// its first answer, and after a full restart from the first leader seen (process start-up and JIT of five
/// processes on a loaded 2-core machine are not catching up); both must come within <see cref="BootLimit"/>.
/// </summary>
public sealed class CatchUpWatch(IChaosCluster cluster, ClusterProbe probe, ChaosClock clock)
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan BootLimit = TimeSpan.FromSeconds(30);

    public async Task<IReadOnlyList<CatchUp>> MeasureAsync(FaultEvent healed)
    {
        var heal = healed.EndMicros;
        var limit = (long)Limit.TotalMicroseconds;
        var bootLimit = (long)BootLimit.TotalMicroseconds;
        var pending = cluster.Nodes.Where(n => n.IsRunning && !n.IsPaused).Select(n => n.Id).ToHashSet();
        var firstAnswer = new Dictionary<int, long>();
        var results = new List<CatchUp>();
        long? target = null;
        long? leaderSeen = null;
        var firstRound = true;
        while (pending.Count > 0)
        {
            var statuses = await probe.StatusesAsync(TimeSpan.FromSeconds(1));
            var now = clock.NowMicros;
            foreach (var id in statuses.Keys.Where(pending.Contains))
            {
                // A node answering at once was up through the fault; one answering later was (re)starting.
                firstAnswer.TryAdd(id, firstRound ? heal : now);
            }

            if (target is null && statuses.Values.Where(s => s.Role == "leader").MaxBy(s => s.Term) is { } leader)
            {
                // After a full restart there is no leader until enough nodes have booted: electing one is not
                // catching up either, so each node's clock starts when it answers AND a leader is known.
                target = leader.CommitIndex;
                leaderSeen = firstRound ? heal : now;
            }

            firstRound = false;
            foreach (var id in pending.ToList())
            {
                var answered = firstAnswer.TryGetValue(id, out var at) ? at : (long?)null;
                var boot = answered is { } a ? (a - heal) / 1000 : -1;
                var start = answered is { } b && leaderSeen is { } l ? Math.Max(b, l) : (long?)null;
                if (start is { } from && statuses.TryGetValue(id, out var s) && s.AppliedIndex >= target)
                {
                    results.Add(new CatchUp(healed.Kind, healed.Targets, id, heal, target, Math.Max(0, now - from) / 1000, boot));
                    pending.Remove(id);
                }
                else if (start is { } since ? now - since > limit : now - heal > bootLimit)
                {
                    results.Add(new CatchUp(healed.Kind, healed.Targets, id, heal, target, null, answered is null ? -1 : boot));
                    pending.Remove(id);
                }
            }

            if (pending.Count > 0)
            {
                await Task.Delay(100);
            }
        }

        return results;
    }

    /// <summary>Per fault, the slowest node's catch-up: "median X ms, max Y ms over N heals".</summary>
    public static string Summary(IReadOnlyList<CatchUp> catchUps)
    {
        var perFault = catchUps.Where(c => c.InTime).GroupBy(c => c.HealMicros).Select(g => g.Max(c => c.Millis!.Value)).Order().ToList();
        if (perFault.Count == 0)
        {
            return "no heal measured";
        }

        var median = perFault.Count % 2 == 1 ? perFault[perFault.Count / 2] : (perFault[perFault.Count / 2 - 1] + perFault[perFault.Count / 2]) / 2;
        var boots = catchUps.Where(c => c.BootMillis > 0).Select(c => c.BootMillis).ToList();
        return $"slowest node per heal: median {median} ms, max {perFault[^1]} ms over {perFault.Count} heals" +
               (boots.Count > 0 ? $"; restarted nodes answered {boots.Min()}-{boots.Max()} ms after their restart" : "");
    }
}
