using DistStack.Actors.Node;
using DistStack.Actors.Stacks;

namespace DistStack.Host.Gateway;

// The protocol of the HttpGateway actor: what HTTP endpoints ask it. Local only (never crosses the wire).
// Commands, queries and hand-over are answered with the RaftNode's own reply types; a status request with
// StatusReply, because a node that does not answer has no NodeStatus to give.

/// <summary>A mutating stack operation before it has a request key.</summary>
public enum CommandKind : byte
{
    Create,
    Delete,
    Push,
    Pop,
    /// <summary>Many values in one log entry (<see cref="RunCommand.Values"/>).</summary>
    PushMany,
    /// <summary>Up to <see cref="RunCommand.Count"/> values in one log entry.</summary>
    PopMany,
}

/// <summary>
/// Endpoint → gateway: run a command. <paramref name="IdempotencyKey"/> is the client's Idempotency-Key header,
/// or null: then the gateway makes a unique key, so that a forwarded or internally retried command applies once.
/// Reply: <see cref="NodeReply"/>.
/// </summary>
public sealed record RunCommand(CommandKind Kind, string StackId, string? Value, string? IdempotencyKey,
    IReadOnlyList<string>? Values = null, int Count = 1)
{
    public StackCommand ToCommand(string requestKey) => Kind switch
    {
        CommandKind.Create => new CreateStack(requestKey, StackId),
        CommandKind.Delete => new DeleteStack(requestKey, StackId),
        CommandKind.Push => new PushValue(requestKey, StackId, Value ?? throw new InvalidOperationException("a push needs a value")),
        CommandKind.Pop => new PopValue(requestKey, StackId),
        CommandKind.PushMany => new PushValues(requestKey, StackId, Values ?? throw new InvalidOperationException("a push of many needs values")),
        CommandKind.PopMany => new PopValues(requestKey, StackId, Count),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, null),
    };
}

/// <summary>Endpoint → gateway: a linearizable read. Reply: <see cref="NodeReply"/>.</summary>
public sealed record RunQuery(StackQuery Query);

/// <summary>Endpoint → gateway. Reply: <see cref="StatusReply"/>.</summary>
public sealed record RequestStatus
{
    public static readonly RequestStatus Instance = new();
}

public abstract record StatusReply
{
    private protected StatusReply() { }

    public sealed record Known(NodeStatus Status) : StatusReply;

    public sealed record Unavailable(string Reason) : StatusReply;
}

/// <summary>Shutdown → gateway: refuse new work, ask the RaftNode to hand leadership over. Reply: <see cref="LeadershipHandedOver"/>.</summary>
public sealed record BeginShutdown(TimeSpan HandOverTimeout);

/// <summary>Gateway settings: how long an HTTP handler waits for its answer (RaftNode's request timeout plus a margin).</summary>
public sealed record GatewaySettings(TimeSpan RequestTimeout);
