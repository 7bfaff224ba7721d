namespace DistStack.Tests.Linearizability;

/// <summary>What a client asked a stack to do.</summary>
public enum StackOpKind
{
    Create,
    Delete,
    Push,
    Pop,
    Top,
    Size,
    Exists,
}

/// <summary>How a client call ended, from the client's point of view.</summary>
public enum OpStatus
{
    /// <summary>The service answered; <see cref="HistoryOp.Result"/> says what.</summary>
    Ok,

    /// <summary>Definitely never applied (HTTP 503, a 400): the checker drops it.</summary>
    Failed,

    /// <summary>
    /// May or may not have taken effect, at any time after its invocation (timeout, 504, connection reset):
    /// its completion time is +infinity and its output is unconstrained.
    /// </summary>
    Unknown,
}

public enum ResultKind
{
    /// <summary>create: a new stack was made.</summary>
    Created,

    /// <summary>create: the stack was already there (nothing reset).</summary>
    AlreadyExists,

    /// <summary>exists: true; delete: deleted.</summary>
    Ok,

    /// <summary>pop/top: the value.</summary>
    Value,

    /// <summary>push: the new size; size: the size.</summary>
    Size,

    /// <summary>pop/top on an empty stack.</summary>
    Empty,

    /// <summary>The stack does not exist (exists: false).</summary>
    NotFound,
}

/// <summary>The answer of a completed operation.</summary>
public sealed record StackOpResult(ResultKind Kind, string? Value = null, long Size = 0)
{
    public static readonly StackOpResult Created = new(ResultKind.Created);
    public static readonly StackOpResult AlreadyExists = new(ResultKind.AlreadyExists);
    public static readonly StackOpResult OkResult = new(ResultKind.Ok);
    public static readonly StackOpResult Empty = new(ResultKind.Empty);
    public static readonly StackOpResult NotFound = new(ResultKind.NotFound);

    public static StackOpResult WithValue(string value) => new(ResultKind.Value, value);

    public static StackOpResult WithSize(long size) => new(ResultKind.Size, null, size);

    public override string ToString() => Kind switch
    {
        ResultKind.Value => $"\"{Value}\"",
        ResultKind.Size => Size.ToString(),
        ResultKind.Created => "created",
        ResultKind.AlreadyExists => "already-existed",
        ResultKind.Ok => "ok",
        ResultKind.Empty => "empty",
        ResultKind.NotFound => "not-found",
        _ => Kind.ToString(),
    };
}

/// <summary>
/// One client call in a recorded history. Times are ticks of ONE monotonic clock (the recording process's);
/// <paramref name="CompletedAt"/> is null when the outcome is unknown.
/// </summary>
public sealed record HistoryOp(
    int Id,
    int ClientId,
    string StackId,
    StackOpKind Kind,
    string? Input,
    long InvokedAt,
    long? CompletedAt,
    OpStatus Status,
    StackOpResult? Result)
{
    /// <summary>Completion time as the checker sees it: +infinity for an unknown outcome.</summary>
    public long EffectiveCompletion => Status == OpStatus.Unknown || CompletedAt is null ? long.MaxValue : CompletedAt.Value;

    public bool IsRead => Kind is StackOpKind.Top or StackOpKind.Size or StackOpKind.Exists;

    public override string ToString()
    {
        var call = Kind switch
        {
            StackOpKind.Push => $"push({StackId}, \"{Input}\")",
            _ => $"{Kind.ToString().ToLowerInvariant()}({StackId})",
        };
        var outcome = Status switch
        {
            OpStatus.Ok => $"-> {Result}",
            OpStatus.Failed => "-> FAILED (never applied)",
            _ => "-> ??? (unknown outcome)",
        };
        var completed = CompletedAt is { } c && Status != OpStatus.Unknown ? c.ToString() : "inf";
        return $"#{Id} client {ClientId}: {call} {outcome}   [{InvokedAt} .. {completed}]";
    }
}
