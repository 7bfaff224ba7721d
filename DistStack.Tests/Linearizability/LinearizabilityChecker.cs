namespace DistStack.Tests.Linearizability;

/// <summary>
/// Linearizability checker for stack histories: Wing &amp; Gong's search with Lowe's memoization of
/// (linearized set, model state), as in Porcupine, after P-compositionality splits the history by stack id
/// (each stack is an independent object, so the history is linearizable iff every stack's sub-history is).
/// </summary>
public static class LinearizabilityChecker
{
    public static LinearizabilityResult Check(IEnumerable<HistoryOp> history, CheckOptions? options = null)
    {
        options ??= CheckOptions.Default;
        var partitions = history.GroupBy(op => op.StackId, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.ToList())
            .ToList();
        var results = new PartitionResult[partitions.Count];
        Parallel.For(
            0,
            partitions.Count,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.MaxParallelism) },
            i => results[i] = CheckStack(partitions[i], options));

        var verdict = results.Any(r => r.Verdict == Verdict.NotLinearizable) ? Verdict.NotLinearizable
            : results.Any(r => r.Verdict == Verdict.Unknown) ? Verdict.Unknown
            : Verdict.Linearizable;
        return new LinearizabilityResult(verdict, results);
    }

    /// <summary>
    /// When a completed op that saw the stack empty is the last completed op (invoked after every other one
    /// completed), and nothing but a pop could have removed a value (no unknown pops, no deletes), an unknown push
    /// whose value nobody observed cannot have taken effect before that op (the value would still be there), so
    /// it may only be placed after every completed op: exactly as if it never happened. Dropping it is sound
    /// and removes guesses the search would otherwise have to make.
    /// </summary>
    private static List<HistoryOp> DropUnobservedUnknownPushesAfterFinalDrain(List<HistoryOp> ops)
    {
        var completed = ops.Where(o => o.Status == OpStatus.Ok).ToList();
        if (completed.Count == 0 || ops.Any(o => o.Kind == StackOpKind.Delete || (o.Kind == StackOpKind.Pop && o.Status == OpStatus.Unknown)))
        {
            return ops;
        }

        var last = completed.MaxBy(o => o.InvokedAt)!;
        var sawEmpty = last is { Kind: StackOpKind.Pop or StackOpKind.Top, Result.Kind: ResultKind.Empty } ||
                       last is { Kind: StackOpKind.Size, Result: { Kind: ResultKind.Size, Size: 0 } };
        if (!sawEmpty || completed.Any(o => o != last && o.CompletedAt >= last.InvokedAt))
        {
            return ops;
        }

        var observed = completed.Where(o => o.Result is { Kind: ResultKind.Value, Value: not null })
            .Select(o => o.Result!.Value!)
            .ToHashSet(StringComparer.Ordinal);
        return ops.Where(o => !(o is { Kind: StackOpKind.Push, Status: OpStatus.Unknown } && !observed.Contains(o.Input!))).ToList();
    }

    /// <summary>Checks the operations of ONE stack (all must share a stack id).</summary>
    public static PartitionResult CheckStack(IReadOnlyList<HistoryOp> ops, CheckOptions? options = null)
    {
        options ??= CheckOptions.Default;
        if (ops.Select(o => o.StackId).Distinct(StringComparer.Ordinal).Count() > 1)
        {
            throw new ArgumentException("CheckStack takes the operations of one stack; use Check for a whole history.");
        }

        // A definitely failed op never happened; an unknown read changes nothing and may return anything.
        var kept = ops.Where(o => o.Status == OpStatus.Ok || (o.Status == OpStatus.Unknown && !o.IsRead))
            .OrderBy(o => o.InvokedAt)
            .ThenBy(o => o.Id)
            .ToList();
        foreach (var op in kept.Where(o => o.Status == OpStatus.Ok))
        {
            if (op.Result is null || op.CompletedAt is null)
            {
                throw new ArgumentException($"completed op without result or completion time: {op}");
            }

            if (op.CompletedAt < op.InvokedAt)
            {
                throw new ArgumentException($"op completed before it was invoked: {op}");
            }
        }

        kept = DropUnobservedUnknownPushesAfterFinalDrain(kept);
        return new StackSearch(kept, ops.Count - kept.Count, ops.FirstOrDefault()?.StackId ?? "", options).Run();
    }
}
