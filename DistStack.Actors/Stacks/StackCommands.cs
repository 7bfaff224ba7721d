namespace DistStack.Actors.Stacks;

/// <summary>
/// A mutating stack operation, replicated through the Raft log. <paramref name="RequestKey"/> makes a retried
/// command apply at most once (dissertation §6.3): the state machine remembers the response to each key.
/// </summary>
public abstract record StackCommand(string RequestKey, string StackId)
{
    /// <summary>
    /// The client chose <see cref="RequestKey"/> (an Idempotency-Key) and may retry with it minutes later, so the
    /// state machine remembers it for a time window; a key a node generated is remembered for a short entry window.
    /// </summary>
    public bool KeyFromClient { get; init; }
}

/// <summary>Creates the stack if absent; never resets an existing one.</summary>
public sealed record CreateStack(string RequestKey, string StackId) : StackCommand(RequestKey, StackId);

public sealed record DeleteStack(string RequestKey, string StackId) : StackCommand(RequestKey, StackId);

public sealed record PushValue(string RequestKey, string StackId, string Value) : StackCommand(RequestKey, StackId);

public sealed record PopValue(string RequestKey, string StackId) : StackCommand(RequestKey, StackId);

/// <summary>A read, served by ReadIndex without a log entry.</summary>
public abstract record StackQuery(string StackId);

public sealed record StackExists(string StackId) : StackQuery(StackId);

public sealed record TopOfStack(string StackId) : StackQuery(StackId);

public sealed record SizeOfStack(string StackId) : StackQuery(StackId);

public enum StackOutcome : byte
{
    /// <summary>Done; <see cref="StackResult.Value"/> / <see cref="StackResult.Size"/> say the result.</summary>
    Ok = 0,
    /// <summary>CreateStack made a new stack.</summary>
    Created = 1,
    /// <summary>CreateStack found the stack already there (nothing reset).</summary>
    AlreadyExists = 2,
    NotFound = 3,
    /// <summary>Pop or top on an empty stack.</summary>
    Empty = 4,
    /// <summary>
    /// The request key was already used for a different command (another kind, stack or value): nothing was
    /// applied. A key names one request; a client that reuses it for another has a bug (HTTP 422).
    /// </summary>
    KeyReused = 5,
    /// <summary>
    /// The command carries a client-chosen key but the table of remembered client keys is at its bound: nothing
    /// was applied and the key was not recorded, so a retry later is safe (HTTP 503). Keys age out by the log clock.
    /// </summary>
    RequestKeysFull = 6,
}

/// <summary>
/// The answer of a command or query. Push: Ok with the new <paramref name="Size"/>; pop and top: Ok with
/// <paramref name="Value"/>; size: Ok with <paramref name="Size"/>; exists: Ok or NotFound.
/// </summary>
public sealed record StackResult(StackOutcome Outcome, string? Value = null, long Size = 0);
