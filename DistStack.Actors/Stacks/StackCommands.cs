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

/// <summary>
/// Pushes every value, first to last (the last ends on top), in ONE log entry: all or nothing, and no other
/// command can interleave. A newer command kind (codec version 3): see <see cref="StackCommandCodec"/> on who may propose it.
/// </summary>
public sealed record PushValues(string RequestKey, string StackId, IReadOnlyList<string> Values) : StackCommand(RequestKey, StackId)
{
    /// <summary>The most values one command carries (the HTTP body bound keeps requests far below it in bytes).</summary>
    public const int MaxValues = 100_000;

    // Records compare lists by reference; a command is its values.
    public bool Equals(PushValues? other) =>
        other is not null && base.Equals(other) && Values.SequenceEqual(other.Values, StringComparer.Ordinal);

    // Deterministic and cheap; equal commands have equal shapes (nothing in the state machine hashes commands).
    public override int GetHashCode() => (StackId.Length * 31 + RequestKey.Length) * 31 + Values.Count;
}

/// <summary>
/// Pops up to <paramref name="Count"/> values (1 to <see cref="MaxCount"/>) in ONE log entry; a stack holding fewer
/// pops what it holds. A newer command kind (codec version 3).
/// </summary>
public sealed record PopValues(string RequestKey, string StackId, int Count) : StackCommand(RequestKey, StackId)
{
    public const int MaxCount = 1_000;
}

/// <summary>A read, served by ReadIndex without a log entry.</summary>
public abstract record StackQuery(string StackId);

public sealed record StackExists(string StackId) : StackQuery(StackId);

public sealed record TopOfStack(string StackId) : StackQuery(StackId);

public sealed record SizeOfStack(string StackId) : StackQuery(StackId);

/// <summary>Size and top at once (one ReadIndex for both): Ok with Size and Value (null when empty), or NotFound.</summary>
public sealed record DescribeStack(string StackId) : StackQuery(StackId);

/// <summary>
/// One page of stack ids in ordinal order: at most <paramref name="Limit"/> ids greater than <paramref name="After"/>
/// ("" = from the start). Answered Ok with the ids in <see cref="StackResult.Values"/>. Paging by id, not by position,
/// is what makes a stack that exists for the whole listing appear exactly once while others come and go. The base
/// record's StackId carries the cursor, the one id-shaped field a listing has.
/// </summary>
public sealed record ListStacks(string After, int Limit) : StackQuery(After)
{
    public const int MaxLimit = 1_000;
}

/// <summary>
/// The whole state machine, for a backup (GET /cluster/snapshot): a read like any other, so it is taken at an applied
/// index at or after its ReadIndex. The state is immutable, so the registry answers with the state itself
/// (StateCaptured), never a <see cref="StackResult"/>; it has no stack id.
/// </summary>
public sealed record CaptureState() : StackQuery("");

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
/// <paramref name="Value"/>; size: Ok with <paramref name="Size"/>; exists: Ok or NotFound. Pop of many: Ok with the
/// popped <paramref name="Values"/> (top first) and the <paramref name="Size"/> left; a listing: Ok with the ids.
/// </summary>
public sealed record StackResult(StackOutcome Outcome, string? Value = null, long Size = 0, IReadOnlyList<string>? Values = null)
{
    // Records compare lists by reference; a result is its values.
    public bool Equals(StackResult? other) =>
        other is not null && Outcome == other.Outcome && Value == other.Value && Size == other.Size &&
        (ReferenceEquals(Values, other.Values) ||
         Values is not null && other.Values is not null && Values.SequenceEqual(other.Values, StringComparer.Ordinal));

    // Deterministic and cheap; equal results have equal shapes (nothing in the state machine hashes results).
    public override int GetHashCode() => ((int)Outcome * 31 + (Value?.Length ?? -1)) * 31 + (int)Size + (Values?.Count ?? -1);
}
