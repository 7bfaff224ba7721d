using System.Text;

namespace DistStack.Tests.Linearizability;

public enum Verdict
{
    Linearizable,
    NotLinearizable,

    /// <summary>The search ran out of its step/memory budget or was cancelled: no answer either way.</summary>
    Unknown,
}

/// <summary>Bounds on the search so that a pathological history reports Unknown instead of hanging.</summary>
public sealed record CheckOptions
{
    public long MaxStepsPerPartition { get; init; } = 50_000_000;
    public int MaxMemoEntriesPerPartition { get; init; } = 20_000_000;

    /// <summary>About 48 bytes per memo entry; whichever bound is hit first ends the search with Unknown.</summary>
    public long MaxMemoBytesPerPartition { get; init; } = 1L << 30;
    public CancellationToken Cancellation { get; init; }

    /// <summary>Partitions (stacks) checked side by side.</summary>
    public int MaxParallelism { get; init; } = 1;

    public static readonly CheckOptions Default = new();
}

/// <summary>The verdict for one stack (one independent object of the history).</summary>
public sealed record PartitionResult(
    string StackId,
    Verdict Verdict,
    IReadOnlyList<HistoryOp> CheckedOps,
    int DroppedOps,
    long Steps,
    int MemoEntries,
    IReadOnlyList<HistoryOp> LongestLinearizablePrefix,
    string StateAfterPrefix,
    HistoryOp? StuckOp,
    IReadOnlyList<HistoryOp> PendingAtStuckOp,
    string? UnknownReason)
{
    public string Describe(int maxLines = 60)
    {
        var text = new StringBuilder();
        switch (Verdict)
        {
            case Verdict.Linearizable:
                text.AppendLine($"stack \"{StackId}\": linearizable ({CheckedOps.Count} ops checked, {DroppedOps} dropped, {Steps} steps)");
                return text.ToString();
            case Verdict.Unknown:
                text.AppendLine($"stack \"{StackId}\": UNKNOWN ({UnknownReason}; {CheckedOps.Count} ops, {Steps} steps, {MemoEntries} memo entries)");
                text.AppendLine("  The search gave up; where it got furthest:");
                break;
            default:
                text.AppendLine($"stack \"{StackId}\": NOT LINEARIZABLE ({CheckedOps.Count} ops checked, {DroppedOps} dropped as failed or unknown reads)");
                break;
        }

        text.AppendLine($"  Longest linearizable prefix found: {LongestLinearizablePrefix.Count} ops, in linearization order:");
        AppendElided(text, LongestLinearizablePrefix, maxLines / 2, fromEnd: true);
        text.AppendLine($"  Model state after that prefix: {StateAfterPrefix}");
        if (StuckOp is not null)
        {
            text.AppendLine("  No linearization can place this operation (earliest-completing op left over):");
            text.AppendLine($"    {StuckOp}");
            text.AppendLine("  Operations not in the prefix and invoked before it completed (the candidates tried before it):");
            AppendElided(text, PendingAtStuckOp, maxLines / 4, fromEnd: false);
        }

        if (CheckedOps.Count <= maxLines / 2)
        {
            text.AppendLine($"  All {CheckedOps.Count} checked ops of the stack by invocation time:");
            AppendElided(text, CheckedOps, maxLines / 2, fromEnd: false);
        }

        return text.ToString();
    }

    private static void AppendElided(StringBuilder text, IReadOnlyList<HistoryOp> ops, int max, bool fromEnd)
    {
        max = Math.Max(max, 4);
        if (ops.Count <= max)
        {
            foreach (var op in ops)
            {
                text.AppendLine($"    {op}");
            }

            return;
        }

        var skipped = ops.Count - max;
        if (fromEnd)
        {
            text.AppendLine($"    ... {skipped} earlier ops elided ...");
            foreach (var op in ops.Skip(skipped))
            {
                text.AppendLine($"    {op}");
            }
        }
        else
        {
            foreach (var op in ops.Take(max))
            {
                text.AppendLine($"    {op}");
            }

            text.AppendLine($"    ... {skipped} more elided ...");
        }
    }
}

public sealed record LinearizabilityResult(Verdict Verdict, IReadOnlyList<PartitionResult> Partitions)
{
    /// <summary>The failing partition with the fewest operations: the smallest thing to debug.</summary>
    public PartitionResult? SmallestViolation =>
        Partitions.Where(p => p.Verdict == Verdict.NotLinearizable).MinBy(p => p.CheckedOps.Count);

    public string Describe(int maxLines = 60)
    {
        var text = new StringBuilder();
        var violations = Partitions.Count(p => p.Verdict == Verdict.NotLinearizable);
        var unknown = Partitions.Count(p => p.Verdict == Verdict.Unknown);
        text.AppendLine($"Linearizability: {Verdict} ({Partitions.Count} stacks, {violations} not linearizable, {unknown} unknown)");
        if (SmallestViolation is { } smallest)
        {
            text.Append(smallest.Describe(maxLines));
        }

        foreach (var p in Partitions.Where(p => p.Verdict == Verdict.Unknown))
        {
            text.Append(p.Describe(maxLines));
        }

        return text.ToString();
    }
}
