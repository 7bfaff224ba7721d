namespace DistStack.Client;

/// <summary>Every exception the client throws for an answer of the cluster (or its silence).</summary>
public abstract class DistStackException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The stack does not exist (HTTP 404). Nothing changed.</summary>
public sealed class StackNotFoundException(string stackId)
    : DistStackException($"No such stack: {stackId}.")
{
    /// <summary>The stack asked for.</summary>
    public string StackId { get; } = stackId;
}

/// <summary>Pop or top of an empty stack (HTTP 409). Nothing changed.</summary>
public sealed class StackEmptyException(string stackId)
    : DistStackException($"Stack {stackId} is empty.")
{
    /// <summary>The stack asked for.</summary>
    public string StackId { get; } = stackId;
}

/// <summary>The request was refused as malformed (HTTP 400, 413 or 422): fix the request. Nothing changed.</summary>
public sealed class DistStackBadRequestException(int status, string detail)
    : DistStackException($"Refused ({status}): {detail}")
{
    /// <summary>The HTTP status: 400 bad input, 413 body too large, 422 the Idempotency-Key was used for another request.</summary>
    public int Status { get; } = status;

    /// <summary>What the server said is wrong.</summary>
    public string Detail { get; } = detail;
}

/// <summary>
/// The deadline passed and no node ever started the operation (every answer was a 503, or no node could be
/// reached before anything was sent): it certainly did not happen, so it is safe to try again later.
/// </summary>
public sealed class DistStackUnavailableException(string message, Exception? inner = null) : DistStackException(message, inner);

/// <summary>
/// The deadline passed while the write's outcome was unknown: an attempt timed out, a connection dropped or a node
/// answered 504, and no later attempt got a definite answer. It may or may not have been applied (at most once).
/// Retry with <see cref="IdempotencyKey"/> within 10 minutes to learn its result without applying it twice.
/// </summary>
public sealed class OutcomeUnknownException(string message, string idempotencyKey, Exception? inner = null)
    : DistStackException(message, inner)
{
    /// <summary>The key every attempt of this operation carried.</summary>
    public string IdempotencyKey { get; } = idempotencyKey;
}
