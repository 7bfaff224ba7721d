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

    /// <summary>One choice on the search stack: a known op lifted out of the list, or a floating op.</summary>
    private readonly record struct Choice(Entry? Call, int Op, int FloatingClass, ModelState Before, long Frontier);

    public PartitionResult Run()
    {
        var n = ops.Count;
        var compiled = CompileAll();
        var head = BuildEntries(compiled);
        var linearized = new LinearizedSet(n, seed: 0x5EED_0F_57AC4UL);
        var memo = new HashSet<MemoKey>();
        var choices = new Stack<Choice>();
        var state = StackModel.Initial;
        var remainingKnown = compiled.Count(c => !c.Floating);
        var best = Array.Empty<int>();
        var bestState = state;
        long steps = 0;
        var maxMemo = (int)Math.Min(options.MaxMemoEntriesPerPartition, options.MaxMemoBytesPerPartition / 48);

        // Floating ops (unknown outcome, nothing observed them) are not in the list: within a class (pops,
        // ghost pushes, creates, deletes) they are interchangeable, so only the earliest-invoked unused member of
        // each class is ever a candidate, and the used members of a class are always a prefix of it.
        var classes = Enumerable.Range(0, FloatingClasses)
            .Select(c => Enumerable.Range(0, n).Where(i => compiled[i].Floating && compiled[i].SymmetryClass == c)
                .OrderBy(i => ops[i].InvokedAt).ThenBy(i => i).ToArray())
            .ToArray();
        var used = new int[FloatingClasses];

        // Candidates at a level are the calls before the first return entry (the frontier). Known ops are tried
        // first (phase 1, walking the list); floating ops only when none of those works (phase 2): trying them
        // eagerly at every level explodes the search, while they are rarely what a level needs.
        var entry = head.Next;
        var floatingPhase = false;
        var nextClass = 0;
        var frontier = long.MaxValue;
        while (remainingKnown > 0)
        {
            if (steps >= options.MaxStepsPerPartition)
            {
                return Unknown($"step budget of {options.MaxStepsPerPartition} exhausted, deepest prefix {best.Length}", steps, memo.Count, best, bestState);
            }

            steps++;
            if ((steps & 0x3FF) == 0 && options.Cancellation.IsCancellationRequested)
            {
                return Unknown("cancelled", steps, memo.Count, best, bestState);
            }

            Choice? chosen = null;
            ModelState next = default;
            if (!floatingPhase)
            {
                if (entry!.IsCall)
                {
                    if (_model.Step(state, compiled[entry.Op], out next) && TryMemo(entry.Op, next))
                    {
                        chosen = new Choice(entry, entry.Op, -1, state, 0);
                    }
                    else
                    {
                        entry = entry.Next;
                        continue;
                    }
                }
                else
                {
                    floatingPhase = true;
                    frontier = entry.Time;
                    nextClass = 0;
                    continue;
                }
            }
            else if (nextClass < FloatingClasses)
            {
                var c = nextClass++;
                if (c == PopClass && choices.TryPeek(out var previous) && previous.FloatingClass == GhostPushClass)
                {
                    // An unknown pop right after a ghost push would just take the ghost back: together a no-op, and
                    // both may be left out, so that branch adds nothing but states.
                    continue;
                }

                if (used[c] < classes[c].Length && ops[classes[c][used[c]]].InvokedAt <= frontier)
                {
                    var op = classes[c][used[c]];
                    if (_model.Step(state, compiled[op], out next) && TryMemo(op, next))
                    {
                        chosen = new Choice(null, op, c, state, frontier);
                    }
                }

                if (chosen is null)
                {
                    continue;
                }
            }
            else
            {
                // Nothing at this level works: undo the latest choice and try its next sibling.
                if (choices.Count == 0)
                {
                    return Violation(best, bestState, steps, memo.Count);
                }

                var undo = choices.Pop();
                state = undo.Before;
                linearized.Toggle(undo.Op);
                if (undo.Call is { } call)
                {
                    remainingKnown++;
                    Unlift(call);
                    entry = call.Next;
                    floatingPhase = false;
                }
                else
                {
                    used[undo.FloatingClass]--;
                    floatingPhase = true;
                    frontier = undo.Frontier;
                    nextClass = undo.FloatingClass + 1;
                }

                continue;
            }

            if (memo.Count > maxMemo)
            {
                return Unknown($"memo budget of {maxMemo} entries exhausted, deepest prefix {best.Length}", steps, memo.Count, best, bestState);
            }

            var choice = chosen.Value;
            choices.Push(choice);
            state = next;
            if (choice.Call is { } lifted)
            {
                remainingKnown--;
                Lift(lifted);
            }
            else
            {
                used[choice.FloatingClass]++;
            }

            if (choices.Count > best.Length)
            {
                best = choices.Select(c => c.Op).Reverse().ToArray();
                bestState = state;
            }

            entry = head.Next;
            floatingPhase = false;
        }

        return new PartitionResult(stackId, Verdict.Linearizable, ops, dropped, steps, memo.Count, [], "", null, [], null);

        bool TryMemo(int op, ModelState after)
        {
            linearized.Toggle(op);
            if (memo.Add(new MemoKey(linearized.Low, linearized.High, after)))
            {
                return true;
            }

            linearized.Toggle(op);
            return false;
        }
    }

    private const int FloatingClasses = 4;
    private const int PopClass = 0;
    private const int GhostPushClass = 1;

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
            var symmetry = !floating ? -1
                : op.Kind switch
                {
                    StackOpKind.Pop => 0,
                    StackOpKind.Push => 1,
                    StackOpKind.Create => 2,
                    StackOpKind.Delete => 3,
                    _ => throw new ArgumentException($"unknown reads never float: {op}"),
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

    private Entry BuildEntries(CompiledOp[] compiled)
    {
        var entries = new List<Entry>(ops.Count * 2);
        for (var i = 0; i < ops.Count; i++)
        {
            if (compiled[i].Floating)
            {
                continue;
            }

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

    private PartitionResult Unknown(string reason, long steps, int memoEntries, int[] best, ModelState bestState) =>
        Stuck(Verdict.Unknown, best, bestState, steps, memoEntries, reason);

    private PartitionResult Violation(int[] best, ModelState bestState, long steps, int memoEntries) =>
        Stuck(Verdict.NotLinearizable, best, bestState, steps, memoEntries, null);

    /// <summary>Where the search got: the deepest prefix, and the op it could not get past.</summary>
    private PartitionResult Stuck(Verdict verdict, int[] best, ModelState bestState, long steps, int memoEntries, string? reason)
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
            verdict,
            ops,
            dropped,
            steps,
            memoEntries,
            best.Select(i => ops[i]).ToList(),
            _model.Describe(bestState),
            stuck,
            pending,
            reason);
    }
}
