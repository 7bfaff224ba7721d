namespace DistStack.Tests.Linearizability;

/// <summary>
/// The sequential specification of ONE stack, over hash-consed persistent lists: every distinct list is a
/// single node id, so a model state is two ints and the memo key (linearized set, state) compares in O(1)
/// instead of walking lists thousands of values long.
/// </summary>
internal sealed class StackModel
{
    /// <summary>Node 0 is the empty list.</summary>
    private const int EmptyList = 0;

    private readonly List<int> _valueOf = [-1];
    private readonly List<int> _nextOf = [-1];
    private readonly List<int> _countOf = [0];
    private readonly Dictionary<(int Next, int Value), int> _interned = new();
    private readonly Dictionary<string, int> _valueIds = new(StringComparer.Ordinal);
    private readonly List<string> _values = [];

    public static readonly ModelState Initial = new(false, EmptyList);

    /// <summary>
    /// Values a completed pop returned. With unique push values, such a value leaves the stack exactly once,
    /// by that pop, so an unknown pop can never be the one that removed it. Rejecting that at once (instead of
    /// when the completed pop later fails to find it) keeps wrong guesses about unknown pops from surviving
    /// thousands of levels deep.
    /// </summary>
    private readonly HashSet<int> _poppedByCompletedPop = [];

    public void MarkPoppedByCompletedPop(int value) => _poppedByCompletedPop.Add(value);

    public int ValueId(string value)
    {
        if (!_valueIds.TryGetValue(value, out var id))
        {
            id = _values.Count;
            _values.Add(value);
            _valueIds.Add(value, id);
        }

        return id;
    }

    private int Push(int list, int value)
    {
        if (_interned.TryGetValue((list, value), out var node))
        {
            return node;
        }

        node = _valueOf.Count;
        _valueOf.Add(value);
        _nextOf.Add(list);
        _countOf.Add(_countOf[list] + 1);
        _interned.Add((list, value), node);
        return node;
    }

    /// <summary>
    /// Applies <paramref name="op"/> to <paramref name="state"/>. False when the op's recorded output cannot be
    /// produced from this state; an unknown-outcome op accepts any output.
    /// </summary>
    public bool Step(ModelState state, in CompiledOp op, out ModelState next)
    {
        next = state;
        var list = state.List;
        switch (op.Kind)
        {
            case StackOpKind.Create:
                if (!state.Exists)
                {
                    next = new ModelState(true, EmptyList);
                    return op.Unknown || op.Expected == ResultKind.Created;
                }

                return op.Unknown || op.Expected == ResultKind.AlreadyExists;

            case StackOpKind.Delete:
                if (state.Exists)
                {
                    next = Initial;
                    return op.Unknown || op.Expected == ResultKind.Ok;
                }

                return op.Unknown || op.Expected == ResultKind.NotFound;

            case StackOpKind.Push:
                if (!state.Exists)
                {
                    return op.Unknown || op.Expected == ResultKind.NotFound;
                }

                next = new ModelState(true, Push(list, op.InputValue));
                return op.Unknown || (op.Expected == ResultKind.Size && op.ExpectedSize == _countOf[list] + 1);

            case StackOpKind.Pop:
            case StackOpKind.Top:
                if (!state.Exists)
                {
                    return op.Unknown || op.Expected == ResultKind.NotFound;
                }

                if (list == EmptyList)
                {
                    return op.Unknown || op.Expected == ResultKind.Empty;
                }

                if (op.Kind == StackOpKind.Pop)
                {
                    if (op.Unknown && _poppedByCompletedPop.Contains(_valueOf[list]))
                    {
                        return false;
                    }

                    next = new ModelState(true, _nextOf[list]);
                }

                return op.Unknown || (op.Expected == ResultKind.Value && op.ExpectedValue == _valueOf[list]);

            case StackOpKind.Size:
                if (!state.Exists)
                {
                    return op.Unknown || op.Expected == ResultKind.NotFound;
                }

                return op.Unknown || (op.Expected == ResultKind.Size && op.ExpectedSize == _countOf[list]);

            case StackOpKind.Exists:
                return op.Unknown || op.Expected == (state.Exists ? ResultKind.Ok : ResultKind.NotFound);

            default:
                throw new ArgumentOutOfRangeException(nameof(op), op.Kind, "unknown operation kind");
        }
    }

    /// <summary>Readable form of a state: "absent" or "[bottom, ..., top]" (long stacks are elided).</summary>
    public string Describe(ModelState state)
    {
        if (!state.Exists)
        {
            return "absent";
        }

        var items = new List<string>();
        for (var node = state.List; node != EmptyList; node = _nextOf[node])
        {
            items.Add(_values[_valueOf[node]]);
        }

        items.Reverse();
        const int shown = 12;
        var body = items.Count <= shown
            ? string.Join(", ", items.Select(v => $"\"{v}\""))
            : string.Join(", ", items.Take(3).Select(v => $"\"{v}\"")) + $", ... ({items.Count - shown + 3} more) ..., " +
              string.Join(", ", items.Skip(items.Count - (shown - 3)).Select(v => $"\"{v}\""));
        return $"size {items.Count}: [{body}] (top last)";
    }
}

/// <summary>A stack's model state: exists flag plus the hash-consed list id (ids are unique per list).</summary>
internal readonly record struct ModelState(bool Exists, int List);

/// <summary>
/// An operation reduced to what the search needs, with values interned to ints. <c>Unknown</c>: any output is
/// accepted. <c>Floating</c>: may be linearized anywhere after its invocation or left out (return at +infinity).
/// </summary>
internal readonly record struct CompiledOp(
    StackOpKind Kind,
    int InputValue,
    bool Unknown,
    bool Floating,
    ResultKind Expected,
    int ExpectedValue,
    long ExpectedSize,
    int SymmetryClass);
