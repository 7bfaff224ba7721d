namespace DistStack.Tests.Chaos;

/// <summary>How long one live node took, after a fault healed, to apply the leader's commit index of that moment.</summary>
public sealed record CatchUp(FaultKind Fault, string Targets, int NodeId, long HealMicros, long? TargetIndex, long? Millis)
{
    public bool InTime => Millis is not null;

    public override string ToString() => InTime
        ? $"n{NodeId} caught up with index {TargetIndex} {Millis} ms after the heal of {Fault} {Targets} at {ChaosClock.Format(HealMicros)}"
        : $"n{NodeId} did NOT apply the leader's commit index {TargetIndex?.ToString() ?? "(no leader seen)"} within " +
          $"{CatchUpWatch.Limit.TotalSeconds:F0} s of the heal of {Fault} {Targets} at {ChaosClock.Format(HealMicros)}";
}

/// <summary>
/// The liveness check after every heal: each live node must apply, within <see cref="Limit"/>, the commit index the
/// leader had when the fault healed (the first leader seen after it, when none was known at that moment). A node that
/// stays behind after a fault is gone is a liveness bug (one-way transport associations, a stuck snapshot transfer),
/// and it silently halves the cluster's fault tolerance, so it fails the run.
/// </summary>
public sealed class CatchUpWatch(IChaosCluster cluster, ClusterProbe probe, ChaosClock clock)
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    public async Task<IReadOnlyList<CatchUp>> MeasureAsync(FaultEvent healed)
    {
        var heal = healed.EndMicros;
        var deadline = heal + (long)Limit.TotalMicroseconds;
        var pending = cluster.Nodes.Where(n => n.IsRunning && !n.IsPaused).Select(n => n.Id).ToHashSet();
        var results = new List<CatchUp>();
        long? target = null;
        while (pending.Count > 0 && clock.NowMicros < deadline)
        {
            var statuses = await probe.StatusesAsync(TimeSpan.FromSeconds(1));
            var now = clock.NowMicros;
            target ??= statuses.Values.Where(s => s.Role == "leader").MaxBy(s => s.Term)?.CommitIndex;
            if (target is { } index)
            {
                foreach (var id in pending.Where(id => statuses.TryGetValue(id, out var s) && s.AppliedIndex >= index).ToList())
                {
                    results.Add(new CatchUp(healed.Kind, healed.Targets, id, heal, index, Math.Max(0, now - heal) / 1000));
                    pending.Remove(id);
                }
            }

            if (pending.Count > 0)
            {
                await Task.Delay(100);
            }
        }

        results.AddRange(pending.Select(id => new CatchUp(healed.Kind, healed.Targets, id, heal, target, null)));
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
        return $"slowest node per heal: median {median} ms, max {perFault[^1]} ms over {perFault.Count} heals";
    }
}
