namespace DistStack.Tests.Linearizability;

/// <summary>Hand-written histories for tests: one line per client call, times in abstract ticks.</summary>
internal sealed class HistoryBuilder
{
    private readonly List<HistoryOp> _ops = [];

    public IReadOnlyList<HistoryOp> Ops => _ops;

    public HistoryOp Add(int client, string stack, StackOpKind kind, string? input, long invoked, long? completed, StackOpResult? result, OpStatus status = OpStatus.Ok)
    {
        var op = new HistoryOp(_ops.Count + 1, client, stack, kind, input, invoked, status == OpStatus.Unknown ? null : completed, status, status == OpStatus.Ok ? result : null);
        _ops.Add(op);
        return op;
    }

    public HistoryBuilder Create(int c, long from, long to, bool created = true, string stack = "s") =>
        Then(Add(c, stack, StackOpKind.Create, null, from, to, created ? StackOpResult.Created : StackOpResult.AlreadyExists));

    public HistoryBuilder Delete(int c, long from, long to, bool deleted = true, string stack = "s") =>
        Then(Add(c, stack, StackOpKind.Delete, null, from, to, deleted ? StackOpResult.OkResult : StackOpResult.NotFound));

    public HistoryBuilder Push(int c, string value, long from, long to, long newSize, string stack = "s") =>
        Then(Add(c, stack, StackOpKind.Push, value, from, to, StackOpResult.WithSize(newSize)));

    public HistoryBuilder PushNotFound(int c, string value, long from, long to, string stack = "s") =>
        Then(Add(c, stack, StackOpKind.Push, value, from, to, StackOpResult.NotFound));

    public HistoryBuilder PushUnknown(int c, string value, long from, string stack = "s") =>
        Then(Add(c, stack, StackOpKind.Push, value, from, null, null, OpStatus.Unknown));

    public HistoryBuilder PushFailed(int c, string value, long from, long to, string stack = "s") =>
        Then(Add(c, stack, StackOpKind.Push, value, from, to, null, OpStatus.Failed));

    /// <summary>A pop answering <paramref name="value"/>, or "empty" when null.</summary>
    public HistoryBuilder Pop(int c, string? value, long from, long to, string stack = "s") =>
        Then(Add(c, stack, StackOpKind.Pop, null, from, to, value is null ? StackOpResult.Empty : StackOpResult.WithValue(value)));

    public HistoryBuilder PopUnknown(int c, long from, string stack = "s") =>
        Then(Add(c, stack, StackOpKind.Pop, null, from, null, null, OpStatus.Unknown));

    public HistoryBuilder Top(int c, string? value, long from, long to, string stack = "s") =>
        Then(Add(c, stack, StackOpKind.Top, null, from, to, value is null ? StackOpResult.Empty : StackOpResult.WithValue(value)));

    public HistoryBuilder Size(int c, long size, long from, long to, string stack = "s") =>
        Then(Add(c, stack, StackOpKind.Size, null, from, to, StackOpResult.WithSize(size)));

    public HistoryBuilder Exists(int c, bool exists, long from, long to, string stack = "s") =>
        Then(Add(c, stack, StackOpKind.Exists, null, from, to, exists ? StackOpResult.OkResult : StackOpResult.NotFound));

    private HistoryBuilder Then(HistoryOp _) => this;
}
