using System.Text;

namespace DistStack.Tests.Linearizability;

/// <summary>
/// "No acknowledged push lost", checked without a search (so it still answers when linearizability is Unknown):
/// after a drain, every acknowledged push value was returned by some pop, or could only have been taken by a pop
/// (or delete) whose outcome is unknown. Unknown pops are a budget: each takes at most one value, so more
/// missing values than unknown pops means at least the difference was lost.
/// Also reports values popped twice and values popped that no push (acknowledged or unknown) ever offered.
/// </summary>
public static class LostPushChecker
{
    public static LostPushReport Check(IEnumerable<HistoryOp> history)
    {
        var stacks = new List<StackPushAccount>();
        foreach (var group in history.GroupBy(o => o.StackId, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            stacks.Add(CheckStack(group.Key, group.ToList()));
        }

        return new LostPushReport(stacks);
    }

    private static StackPushAccount CheckStack(string stackId, IReadOnlyList<HistoryOp> ops)
    {
        var acknowledged = ops.Where(o => o is { Kind: StackOpKind.Push, Status: OpStatus.Ok, Result.Kind: ResultKind.Size }).ToList();
        var mayHavePushed = ops.Where(o => o.Kind == StackOpKind.Push && o.Status != OpStatus.Failed && o.Result?.Kind != ResultKind.NotFound)
            .Select(o => o.Input!)
            .ToHashSet(StringComparer.Ordinal);
        var pops = ops.Where(o => o is { Kind: StackOpKind.Pop, Status: OpStatus.Ok, Result.Kind: ResultKind.Value }).ToList();
        var popsByValue = pops.GroupBy(p => p.Result!.Value!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var unknownPops = ops.Where(o => o is { Kind: StackOpKind.Pop, Status: OpStatus.Unknown }).ToList();
        var deletes = ops.Where(o => o.Kind == StackOpKind.Delete && (o.Status == OpStatus.Unknown || o.Result?.Kind == ResultKind.Ok)).ToList();

        // The drain proves emptiness: an ok pop/top answering "empty" (or size 0) invoked after every
        // acknowledged push completed. Without it, a missing value may simply still be on the stack.
        var lastAckCompletion = acknowledged.Count == 0 ? long.MinValue : acknowledged.Max(o => o.CompletedAt!.Value);
        var drained = ops.Any(o => o.Status == OpStatus.Ok && o.InvokedAt >= lastAckCompletion &&
                                   (o is { Kind: StackOpKind.Pop or StackOpKind.Top, Result.Kind: ResultKind.Empty } ||
                                    o is { Kind: StackOpKind.Size, Result: { Kind: ResultKind.Size, Size: 0 } }));

        var missing = new List<HistoryOp>();
        foreach (var push in acknowledged)
        {
            if (popsByValue.ContainsKey(push.Input!))
            {
                continue;
            }

            // A delete that may have run after this push was invoked can explain the value's absence.
            if (deletes.Any(d => d.EffectiveCompletion >= push.InvokedAt))
            {
                continue;
            }

            missing.Add(push);
        }

        // An unknown pop may have taken effect at any time after its invocation — even after this push
        // completed — so every unknown pop can explain one missing value, whatever its invocation time.
        var lost = !drained ? [] : missing.Count > unknownPops.Count ? missing : [];
        var excused = drained && lost.Count == 0 ? missing : [];
        var duplicates = popsByValue.Where(kv => kv.Value.Count > 1).SelectMany(kv => kv.Value).ToList();
        var phantoms = pops.Where(p => !mayHavePushed.Contains(p.Result!.Value!)).ToList();
        return new StackPushAccount(stackId, drained, acknowledged.Count, pops.Count, unknownPops.Count, missing, excused, lost, duplicates, phantoms);
    }
}

/// <summary>
/// One stack's account. <see cref="Lost"/>: acknowledged values neither popped nor explainable by unknown pops
/// (when more values are missing than unknown pops exist, every missing value is listed as a suspect).
/// </summary>
public sealed record StackPushAccount(
    string StackId,
    bool Drained,
    int AcknowledgedPushes,
    int OkPops,
    int UnknownPops,
    IReadOnlyList<HistoryOp> Missing,
    IReadOnlyList<HistoryOp> ExcusedByUnknownPops,
    IReadOnlyList<HistoryOp> Lost,
    IReadOnlyList<HistoryOp> DuplicatePops,
    IReadOnlyList<HistoryOp> PhantomPops)
{
    /// <summary>At least this many acknowledged values are gone (missing beyond what unknown pops can explain).</summary>
    public int LostAtLeast => Drained ? Math.Max(0, Missing.Count - UnknownPops) : 0;

    public bool Ok => LostAtLeast == 0 && DuplicatePops.Count == 0 && PhantomPops.Count == 0;
}

public sealed record LostPushReport(IReadOnlyList<StackPushAccount> Stacks)
{
    public bool Ok => Stacks.All(s => s.Ok);

    public int LostAtLeast => Stacks.Sum(s => s.LostAtLeast);

    public IEnumerable<string> UndrainedStacks => Stacks.Where(s => !s.Drained && s.AcknowledgedPushes > 0).Select(s => s.StackId);

    public string Describe(int maxLines = 40)
    {
        var text = new StringBuilder();
        text.AppendLine($"No acknowledged push lost: {(Ok ? "OK" : "VIOLATED")} (lost at least {LostAtLeast}; " +
                        $"{Stacks.Sum(s => s.DuplicatePops.Count)} duplicate pops; {Stacks.Sum(s => s.PhantomPops.Count)} phantom pops)");
        foreach (var s in Stacks)
        {
            text.AppendLine($"  stack \"{s.StackId}\": {s.AcknowledgedPushes} acknowledged pushes, {s.OkPops} values popped, " +
                            $"{s.UnknownPops} unknown pops, {s.Missing.Count} acknowledged values never popped" +
                            (s.Drained ? "" : " (NOT DRAINED: inconclusive)"));
            Append(text, $"lost (at least {s.LostAtLeast} of these)", s.Lost, maxLines);
            Append(text, "popped twice", s.DuplicatePops, maxLines);
            Append(text, "popped but never pushed", s.PhantomPops, maxLines);
        }

        return text.ToString();
    }

    private static void Append(StringBuilder text, string title, IReadOnlyList<HistoryOp> ops, int maxLines)
    {
        if (ops.Count == 0)
        {
            return;
        }

        text.AppendLine($"    {title}:");
        foreach (var op in ops.Take(maxLines))
        {
            text.AppendLine($"      {op}");
        }

        if (ops.Count > maxLines)
        {
            text.AppendLine($"      ... {ops.Count - maxLines} more");
        }
    }
}
