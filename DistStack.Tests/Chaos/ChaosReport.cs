using System.Text;
using DistStack.Host.Http;
using DistStack.Tests.Linearizability;

namespace DistStack.Tests.Chaos;

/// <summary>A run's verdict and summary figures; <see cref="Text"/> is what verdict.txt holds.</summary>
public sealed record ChaosReport(bool Passed, string RunDirectory, string Text, IReadOnlyList<string> Failures, Verdict? Linearizability)
{
    public static ChaosReport Build(
        ChaosOptions options,
        string runDirectory,
        string network,
        string networkNote,
        IReadOnlyList<HistoryOp> history,
        IReadOnlyList<FaultEvent> faults,
        IReadOnlyList<string> failures,
        LinearizabilityResult? linearizability,
        LostPushReport? lost,
        (long Start, long End)? workload,
        IReadOnlyDictionary<int, ClusterStatusDocument> finalStatuses,
        IReadOnlyList<string> anomalies,
        IReadOnlyList<CatchUp>? catchUps = null)
    {
        var text = new StringBuilder();
        var passed = failures.Count == 0;
        text.AppendLine($"CHAOS RUN seed {options.Seed}: {(passed ? "PASSED" : "FAILED")}" +
                        (linearizability?.Verdict == Verdict.Unknown ? " (linearizability UNKNOWN: search budget exhausted)" : ""));
        text.AppendLine($"  files: {runDirectory} (history.jsonl, faults.txt, nodes/*.log, run.log, verdict.txt)");
        text.AppendLine($"  re-run: DISTSTACK_CHAOS_SEED={options.Seed} DISTSTACK_CHAOS_SECONDS={options.FaultDuration.TotalSeconds:F0} scripts/chaos.sh");
        text.AppendLine($"  network: {network}");
        if (networkNote.Length > 0)
        {
            text.AppendLine($"  {networkNote}");
        }

        foreach (var failure in failures)
        {
            text.AppendLine($"  FAILURE: {failure}");
        }

        text.AppendLine();
        text.AppendLine("Figures");
        text.AppendLine($"  faults injected for {options.FaultDuration.TotalSeconds:F0}s, {options.Clients} clients, {options.Stacks} stacks, {options.Nodes} nodes");
        var ok = history.Count(o => o.Status == OpStatus.Ok);
        var failed = history.Count(o => o.Status == OpStatus.Failed);
        var unknown = history.Count(o => o.Status == OpStatus.Unknown);
        text.AppendLine($"  ops attempted {history.Count}: acknowledged {ok}, failed (never applied) {failed}, unknown outcome {unknown}");
        foreach (var kind in history.GroupBy(o => o.Kind).OrderBy(g => g.Key))
        {
            text.AppendLine($"    {kind.Key,-7} {kind.Count(),7} attempted, {kind.Count(o => o.Status == OpStatus.Ok),7} ok, " +
                            $"{kind.Count(o => o.Status == OpStatus.Failed),6} failed, {kind.Count(o => o.Status == OpStatus.Unknown),6} unknown");
        }

        text.AppendLine($"  faults: {faults.Count} — " + string.Join(", ", faults.GroupBy(f => f.Kind).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));
        text.AppendLine($"  catch-up after each heal (limit {CatchUpWatch.Limit.TotalSeconds:F0} s): {CatchUpWatch.Summary(catchUps ?? [])}");
        text.AppendLine($"  linearizability: {linearizability?.Verdict.ToString() ?? "not checked"}");
        text.AppendLine($"  acknowledged pushes lost: {lost?.LostAtLeast.ToString() ?? "not checked"}");
        if (workload is { } w)
        {
            var (gap, gapStart) = LongestWriteGap(history, w.Start, w.End);
            text.AppendLine($"  longest window with no acknowledged write: {gap / 1000.0:F0} ms (from {ChaosClock.Format(gapStart)})");
            var recoveries = LeaderKillRecoveries(history, faults);
            text.AppendLine(recoveries.Count == 0
                ? "  leader kill -> next acknowledged write: no leader kills"
                : $"  leader kill -> next acknowledged write (invoked after the kill): median {Median(recoveries) / 1000.0:F0} ms, " +
                  $"max {recoveries.Max() / 1000.0:F0} ms over {recoveries.Count} kills");
        }

        text.AppendLine();
        text.AppendLine("Final cluster status");
        text.AppendLine(Indent(ClusterProbe.Describe(finalStatuses)));
        if (linearizability is not null)
        {
            text.AppendLine();
            text.AppendLine(linearizability.Describe(80));
        }

        if (lost is not null)
        {
            text.AppendLine(lost.Describe());
        }

        if (anomalies.Count > 0)
        {
            text.AppendLine("Protocol anomalies");
            foreach (var a in anomalies)
            {
                text.AppendLine($"  {a}");
            }
        }

        text.AppendLine("Faults");
        foreach (var f in faults)
        {
            text.AppendLine($"  {f}");
        }

        return new ChaosReport(passed, runDirectory, text.ToString(), failures, linearizability?.Verdict);
    }

    private static bool IsAcknowledgedWrite(HistoryOp o) =>
        o.Status == OpStatus.Ok && o.Kind is StackOpKind.Push or StackOpKind.Pop or StackOpKind.Create or StackOpKind.Delete;

    /// <summary>Longest stretch of the workload during which no write was acknowledged.</summary>
    public static (long Gap, long Start) LongestWriteGap(IReadOnlyList<HistoryOp> history, long start, long end)
    {
        var times = history.Where(IsAcknowledgedWrite).Select(o => o.CompletedAt!.Value).Where(t => t >= start && t <= end).Order().ToList();
        var previous = start;
        var best = (Gap: 0L, Start: start);
        foreach (var t in times.Append(end))
        {
            if (t - previous > best.Gap)
            {
                best = (t - previous, previous);
            }

            previous = t;
        }

        return best;
    }

    /// <summary>For each leader kill: time to the first acknowledged write invoked after it.</summary>
    public static List<long> LeaderKillRecoveries(IReadOnlyList<HistoryOp> history, IReadOnlyList<FaultEvent> faults)
    {
        var writes = history.Where(IsAcknowledgedWrite).ToList();
        var result = new List<long>();
        foreach (var kill in faults.Where(f => f.Kind == FaultKind.KillLeader && f.LeaderBefore is not null))
        {
            var next = writes.Where(o => o.InvokedAt >= kill.StartMicros).Select(o => o.CompletedAt!.Value).DefaultIfEmpty(long.MaxValue).Min();
            if (next != long.MaxValue)
            {
                result.Add(next - kill.StartMicros);
            }
        }

        return result;
    }

    private static double Median(List<long> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2.0;
    }

    private static string Indent(string text) => string.Join("\n", text.Split('\n').Select(l => "  " + l));
}
