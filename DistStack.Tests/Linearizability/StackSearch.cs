namespace DistStack.Tests.Linearizability;

/// <summary>
/// One stack's search, the "calls/returns list with lift/unlift" algorithm: walk the time-ordered list of call
/// and return entries; at a call, try to linearize that op next (if the model accepts its output and the
/// (set, state) pair is new, lift its call and return out of the list and start over); at a return, the op
/// returned before anything still in the list could be linearized, so undo the latest choice (backtrack).
/// </summary>
internal sealed class StackSearch(IReadOnlyList<HistoryOp> ops, int dropped, string stackId, CheckOptions options)
{
    private sealed class Entry
    {
        public required int Op;
        public required bool IsCall;
        public required long Time;
        public Entry? Match;
        public Entry? Prev;
        public Entry? Next;
    }

    private readonly StackModel _model = new();

    public PartitionResult Run()
    {
        var n = ops.Count;
        var compiled = CompileAll();
        var head = BuildEntries();
        var linearized = new LinearizedSet(n, seed: 0x5EED_0F_57AC4UL);
        var memo = new HashSet<MemoKey>();
        var calls = new Stack<(Entry Call, ModelState Before, bool UnknownPhase, int TriedClasses)>();
        var state = StackModel.Initial;
        var remainingKnown = compiled.Count(c => !c.Floating);
        var best = Array.Empty<int>();
        var bestState = state;
        long steps = 0;
        var maxMemo = (int)Math.Min(options.MaxMemoEntriesPerPartition, options.MaxMemoBytesPerPartition / 48);
        var entry = head.Next;

        // Candidates at a level are the calls before the first return entry. Known-outcome ops are tried first
        // (phase 1) and unknown-outcome ones only after (phase 2): an unknown op can take effect at any later
        // point, so trying it eagerly at every level explodes the search while it is rarely what is needed.
        var unknownPhase = false;

        // Symmetry: unknown pops are interchangeable (no input, any output), and so are unknown pushes whose
        // values no completed op ever observed (they all push a "ghost"). Once a level has tried one member of
        // such a class, trying another leads to an isomorphic subtree: skip it.
        var triedClasses = 0;
        while (remainingKnown > 0)
        {
            if (steps >= options.MaxStepsPerPartition)
            {
                return Unknown($"step budget of {options.MaxStepsPerPartition} exhausted, deepest prefix {best.Length}", steps, memo.Count);
            }

            steps++;

            if ((steps & 0x3FF) == 0 && options.Cancellation.IsCancellationRequested)
            {
                return Unknown("cancelled", steps, memo.Count);
            }

            if (entry!.IsCall)
            {
                ref readonly var op = ref compiled[entry.Op];
                if (op.Floating == unknownPhase && (op.SymmetryClass & triedClasses) == 0 && _model.Step(state, op, out var next))
                {
                    linearized.Toggle(entry.Op);
                    if (memo.Add(new MemoKey(linearized.Low, linearized.High, next)))
                    {
                        if (memo.Count >= maxMemo)
                        {
                            return Unknown($"memo budget of {maxMemo} entries exhausted, deepest prefix {best.Length}", steps, memo.Count);
                        }

                        calls.Push((entry, state, unknownPhase, triedClasses));
                        state = next;
                        if (!op.Floating)
                        {
                            remainingKnown--;
                        }

                        Lift(entry);
                        if (calls.Count > best.Length)
                        {
                            best = calls.Select(c => c.Call.Op).Reverse().ToArray();
                            bestState = state;
                        }

                        entry = head.Next;
                        unknownPhase = false;
                        triedClasses = 0;
                        continue;
                    }

                    linearized.Toggle(entry.Op);
                }

                entry = entry.Next;
            }
            else if (!unknownPhase)
            {
                unknownPhase = true;
                entry = head.Next;
            }
            else
            {
                if (calls.Count == 0)
                {
                    return Violation(best, bestState, steps, memo.Count);
                }

                var (call, before, phase, tried) = calls.Pop();
                state = before;
                linearized.Toggle(call.Op);
                if (!compiled[call.Op].Floating)
                {
                    remainingKnown++;
                }

                Unlift(call);
                entry = call.Next;
                unknownPhase = phase;
                triedClasses = tried | compiled[call.Op].SymmetryClass;
            }
        }

        return new PartitionResult(stackId, Verdict.Linearizable, ops, dropped, steps, memo.Count, [], "", null, [], null);
    }

    private const string GhostValue = "\u0000ghost";

    /// <summary>Per op: the time by which it must have taken effect (long.MaxValue: whenever, or never).</summary>
    private long[] _deadline = [];

    /// <summary>
    /// Reduces unknown-outcome ops to what the search really needs to guess, soundly:
    /// an unknown push whose value a completed pop/top returned DID take effect, before that observer completed:
    /// it becomes an ordinary op with that deadline and an unconstrained output. The rest float: they may take
    /// effect at any point after their invocation, or never, and pushes whose values nobody observed all push
    /// the same "ghost" value, which makes them interchangeable.
    /// </summary>
    private CompiledOp[] CompileAll()
    {
        var firstObservation = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var o in ops.Where(o => o.Status == OpStatus.Ok && o.Result is { Kind: ResultKind.Value, Value: not null }))
        {
            var v = o.Result!.Value!;
            firstObservation[v] = Math.Min(firstObservation.GetValueOrDefault(v, long.MaxValue), o.CompletedAt!.Value);
        }

        _deadline = new long[ops.Count];
        var compiled = new CompiledOp[ops.Count];
        for (var i = 0; i < ops.Count; i++)
        {
            var op = ops[i];
            var unknown = op.Status == OpStatus.Unknown;
            var result = op.Result;
            var input = op.Kind == StackOpKind.Push ? op.Input ?? throw new ArgumentException($"push without value: {op}") : null;
            var observedBy = input is not null && firstObservation.TryGetValue(input, out var t) ? t : long.MaxValue;
            var floating = unknown && observedBy == long.MaxValue;
            var ghost = floating && input is not null;
            _deadline[i] = !unknown ? op.CompletedAt!.Value : observedBy;
            var symmetry = !floating ? 0
                : op.Kind switch
                {
                    StackOpKind.Pop => 1,
                    StackOpKind.Push => 2,
                    StackOpKind.Create => 4,
                    StackOpKind.Delete => 8,
                    _ => 0,
                };
            compiled[i] = new CompiledOp(
                op.Kind,
                input is null ? -1 : _model.ValueId(ghost ? GhostValue : input),
                unknown,
                floating,
                unknown || result is null ? ResultKind.Ok : result.Kind,
                !unknown && result is { Kind: ResultKind.Value, Value: { } v } ? _model.ValueId(v) : -1,
                !unknown && result is not null ? result.Size : 0,
                symmetry);
        }

        // The pruning in StackModel relies on each value being pushed at most once.
        var pushes = ops.Where(o => o.Kind == StackOpKind.Push).Select(o => o.Input!).ToList();
        if (pushes.Distinct(StringComparer.Ordinal).Count() == pushes.Count)
        {
            foreach (var o in ops.Where(o => o is { Kind: StackOpKind.Pop, Status: OpStatus.Ok, Result.Kind: ResultKind.Value }))
            {
                _model.MarkPoppedByCompletedPop(_model.ValueId(o.Result!.Value!));
            }
        }

        return compiled;
    }

    private Entry BuildEntries()
    {
        var entries = new List<Entry>(ops.Count * 2);
        for (var i = 0; i < ops.Count; i++)
        {
            var call = new Entry { Op = i, IsCall = true, Time = ops[i].InvokedAt };
            var ret = new Entry { Op = i, IsCall = false, Time = _deadline[i] };
            call.Match = ret;
            entries.Add(call);
            entries.Add(ret);
        }

        // At equal times a call goes before a return: treating touching ops as concurrent never rejects a
        // linearizable history because of clock granularity.
        entries.Sort((a, b) =>
            a.Time != b.Time ? a.Time.CompareTo(b.Time)
            : a.IsCall != b.IsCall ? (a.IsCall ? -1 : 1)
            : a.Op.CompareTo(b.Op));
        var head = new Entry { Op = -1, IsCall = false, Time = long.MinValue };
        var previous = head;
        foreach (var e in entries)
        {
            previous.Next = e;
            e.Prev = previous;
            previous = e;
        }

        return head;
    }

    private static void Lift(Entry call)
    {
        call.Prev!.Next = call.Next;
        if (call.Next is not null)
        {
            call.Next.Prev = call.Prev;
        }

        var ret = call.Match!;
        ret.Prev!.Next = ret.Next;
        if (ret.Next is not null)
        {
            ret.Next.Prev = ret.Prev;
        }
    }

    private static void Unlift(Entry call)
    {
        var ret = call.Match!;
        ret.Prev!.Next = ret;
        if (ret.Next is not null)
        {
            ret.Next.Prev = ret;
        }

        call.Prev!.Next = call;
        if (call.Next is not null)
        {
            call.Next.Prev = call;
        }
    }

    private PartitionResult Unknown(string reason, long steps, int memoEntries) =>
        new(stackId, Verdict.Unknown, ops, dropped, steps, memoEntries, [], "", null, [], reason);

    private PartitionResult Violation(int[] best, ModelState bestState, long steps, int memoEntries)
    {
        var inPrefix = new HashSet<int>(best);
        var leftOver = Enumerable.Range(0, ops.Count).Where(i => !inPrefix.Contains(i)).ToList();
        var stuck = leftOver.Where(i => ops[i].Status == OpStatus.Ok)
            .OrderBy(i => ops[i].EffectiveCompletion)
            .Select(i => ops[i])
            .FirstOrDefault();
        var pending = stuck is null
            ? []
            : leftOver.Select(i => ops[i]).Where(o => o != stuck && o.InvokedAt <= stuck.EffectiveCompletion).ToList();
        return new PartitionResult(
            stackId,
            Verdict.NotLinearizable,
            ops,
            dropped,
            steps,
            memoEntries,
            best.Select(i => ops[i]).ToList(),
            _model.Describe(bestState),
            stuck,
            pending,
            null);
    }
}
