using DistStack.Actors.Node;
using DistStack.Actors.Stacks;
using DistStack.Host.Gateway;

namespace DistStack.Host.Http;

/// <summary>
/// The seed's API: POST /sCreate, /sId, /sPush, /sPop, /sTop, /sSize (plus /sDelete), bodies as curl -d sends
/// them. Mutations go through the Raft log; reads through ReadIndex (linearizable).
/// </summary>
public static class StackEndpoints
{
    public static IEndpointRouteBuilder MapStackEndpoints(this IEndpointRouteBuilder app)
    {
        MapCommand(app, "/sCreate", ParseId(CommandKind.Create), (id, result) => result.Outcome switch
        {
            StackOutcome.Created => (StatusCodes.Status201Created, id),
            StackOutcome.AlreadyExists => (StatusCodes.Status200OK, id),
            _ => Common(id, result),
        });
        MapCommand(app, "/sDelete", ParseId(CommandKind.Delete), (id, result) => result.Outcome switch
        {
            StackOutcome.Ok => (StatusCodes.Status200OK, id),
            _ => Common(id, result),
        });
        MapCommand(app, "/sPush", ParsePush, (id, result) => result.Outcome switch
        {
            StackOutcome.Ok => (StatusCodes.Status200OK, result.Size.ToString()),
            _ => Common(id, result),
        });
        MapCommand(app, "/sPop", ParseId(CommandKind.Pop), (id, result) => result.Outcome switch
        {
            StackOutcome.Ok => (StatusCodes.Status200OK, result.Value ?? ""),
            _ => Common(id, result),
        });

        MapQuery(app, "/sId", id => new StackExists(id), (id, result) => result.Outcome switch
        {
            StackOutcome.Ok => (StatusCodes.Status200OK, id),
            _ => Common(id, result),
        });
        MapQuery(app, "/sTop", id => new TopOfStack(id), (id, result) => result.Outcome switch
        {
            StackOutcome.Ok => (StatusCodes.Status200OK, result.Value ?? ""),
            _ => Common(id, result),
        });
        MapQuery(app, "/sSize", id => new SizeOfStack(id), (id, result) => result.Outcome switch
        {
            StackOutcome.Ok => (StatusCodes.Status200OK, result.Size.ToString()),
            _ => Common(id, result),
        });
        return app;
    }

    private delegate (int Status, string Text) Answer(string stackId, StackResult result);

    private static Func<string, string?, ParseResult<RunCommand>> ParseId(CommandKind kind) => (body, key) =>
    {
        var id = RequestParsing.StackId(body);
        return id.IsOk ? ParseResult<RunCommand>.Ok(new RunCommand(kind, id.Value, null, key)) : ParseResult<RunCommand>.Fail(id.Error);
    };

    private static ParseResult<RunCommand> ParsePush(string body, string? key)
    {
        var parsed = RequestParsing.StackIdAndValue(body);
        return parsed.IsOk
            ? ParseResult<RunCommand>.Ok(new RunCommand(CommandKind.Push, parsed.Value.StackId, parsed.Value.Value, key))
            : ParseResult<RunCommand>.Fail(parsed.Error);
    }

    private static void MapCommand(IEndpointRouteBuilder app, string path, Func<string, string?, ParseResult<RunCommand>> parse, Answer answer) =>
        app.Map(path, async context =>
        {
            if (!HttpMethods.IsPost(context.Request.Method))
            {
                await TextAnswers.MethodNotAllowedAsync(context, HttpMethods.Post);
                return;
            }
            var key = RequestParsing.IdempotencyKey(context.Request.Headers[RequestParsing.IdempotencyKeyHeader].ToArray());
            if (!key.IsOk)
            {
                await TextAnswers.WriteAsync(context, StatusCodes.Status400BadRequest, key.Error);
                return;
            }
            var body = await ReadBodyAsync(context);
            if (body is null) return;
            var command = parse(body, key.Value);
            if (!command.IsOk)
            {
                await TextAnswers.WriteAsync(context, StatusCodes.Status400BadRequest, command.Error);
                return;
            }
            var gateway = context.RequestServices.GetRequiredService<GatewayClient>();
            var reply = await gateway.RunAsync(command.Value, context.RequestAborted);
            await AnswerAsync(context, command.Value.StackId, reply, answer);
        });

    private static void MapQuery(IEndpointRouteBuilder app, string path, Func<string, StackQuery> query, Answer answer) =>
        app.Map(path, async context =>
        {
            if (!HttpMethods.IsPost(context.Request.Method))
            {
                await TextAnswers.MethodNotAllowedAsync(context, HttpMethods.Post);
                return;
            }
            var body = await ReadBodyAsync(context);
            if (body is null) return;
            var id = RequestParsing.StackId(body);
            if (!id.IsOk)
            {
                await TextAnswers.WriteAsync(context, StatusCodes.Status400BadRequest, id.Error);
                return;
            }
            var gateway = context.RequestServices.GetRequiredService<GatewayClient>();
            var reply = await gateway.RunAsync(new RunQuery(query(id.Value)), context.RequestAborted);
            await AnswerAsync(context, id.Value, reply, answer);
        });

    /// <summary>The decoded, trimmed body; or null once a 413/400 has been written.</summary>
    private static async Task<string?> ReadBodyAsync(HttpContext context)
    {
        var bytes = await BodyReader.ReadAtMostAsync(context.Request, RequestParsing.MaxBodyBytes, context.RequestAborted);
        if (bytes is null)
        {
            await TextAnswers.WriteAsync(context, StatusCodes.Status413PayloadTooLarge,
                $"the body is larger than {RequestParsing.MaxBodyBytes / (1024 * 1024)} MiB");
            return null;
        }
        var text = RequestParsing.DecodeBody(bytes);
        if (!text.IsOk)
        {
            await TextAnswers.WriteAsync(context, StatusCodes.Status400BadRequest, text.Error);
            return null;
        }
        return text.Value;
    }

    private static Task AnswerAsync(HttpContext context, string stackId, NodeReply reply, Answer answer)
    {
        if (TextAnswers.FailureAsync(context, reply) is { } failure) return failure;
        if (((Completed)reply).Result.Outcome == StackOutcome.RequestKeysFull)
        {
            context.Response.Headers.RetryAfter = "10";
            return TextAnswers.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                "not started: the cluster remembers as many Idempotency-Keys as it can until older ones age out " +
                "(10 minutes); nothing was applied and this key was not recorded, retry later");
        }
        var (status, text) = answer(stackId, ((Completed)reply).Result);
        return TextAnswers.WriteAsync(context, status, text);
    }

    private static (int, string) Common(string stackId, StackResult result) => result.Outcome switch
    {
        StackOutcome.NotFound => (StatusCodes.Status404NotFound, $"no such stack: {stackId}"),
        StackOutcome.Empty => (StatusCodes.Status409Conflict, $"stack {stackId} is empty"),
        StackOutcome.KeyReused => (StatusCodes.Status422UnprocessableEntity,
            "this Idempotency-Key was already used for a different request; nothing was applied. Use a new key for a new request"),
        _ => Unexpected(result),
    };

    private static (int, string) Unexpected(StackResult result) =>
        (StatusCodes.Status500InternalServerError, $"unexpected result from the state machine: {result.Outcome}");
}
