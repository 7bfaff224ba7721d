using DistStack.Actors.Node;
using DistStack.Actors.Stacks;
using DistStack.Host.Gateway;
using Microsoft.AspNetCore.Mvc;

namespace DistStack.Host.Http.V1;

/// <summary>
/// The JSON API beside the seed's text one, under /v1: list (paged by id), create, describe, delete, push one or many
/// values in ONE log entry, pop one or up to 1,000 in one. Same rules as the text API (ids, values, the 1 MiB body,
/// Idempotency-Key, linearizable reads through ReadIndex) and the same status codes; errors are problem details.
/// Documented at /openapi/v1.json.
/// </summary>
public static class StackApiV1
{
    public const int DefaultPageSize = 100;

    public static IEndpointRouteBuilder MapStackApiV1(this IEndpointRouteBuilder app)
    {
        var stacks = app.MapGroup("/v1/stacks").WithTags("stacks");
        stacks.MapGet("", ListAsync).WithName("listStacks")
            .WithSummary("Stack ids in ordinal order, a page at a time: pass the previous page's next as after.")
            .Produces<StackPage>().ProducesProblem(400).ProducesProblem(503);
        stacks.MapPut("/{id}", CreateAsync).WithName("createStack")
            .WithSummary("Creates the stack (201), or finds it already there (200, nothing reset).")
            .Produces<StackCreated>(201).Produces<StackCreated>().ProducesProblem(400).ProducesProblem(422).ProducesProblem(503).ProducesProblem(504);
        stacks.MapGet("/{id}", DescribeAsync).WithName("getStack")
            .WithSummary("Size and top value of one stack.")
            .Produces<StackDescription>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(503);
        stacks.MapDelete("/{id}", DeleteAsync).WithName("deleteStack")
            .Produces<StackDeleted>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(422).ProducesProblem(503).ProducesProblem(504);
        stacks.MapPost("/{id}/items", PushAsync).WithName("pushValues")
            .WithSummary($"Pushes a JSON array of 1 to {JsonValues.MaxValues} strings atomically, in one log entry; the last ends on top.")
            .AddOpenApiOperationTransformer(DocumentRequestBody.JsonArrayOfStrings)
            .Produces<ItemsPushed>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(413).ProducesProblem(422)
            .ProducesProblem(503).ProducesProblem(504);
        stacks.MapPost("/{id}/pop", PopAsync).WithName("popValues")
            .WithSummary($"Pops count (1 to {PopValues.MaxCount}, default 1) values atomically, top first; fewer if the stack holds fewer.")
            .Produces<ItemsPopped>().ProducesProblem(400).ProducesProblem(404).ProducesProblem(409).ProducesProblem(422)
            .ProducesProblem(503).ProducesProblem(504);
        return app;
    }

    private static async Task<IResult> ListAsync(HttpContext context, [FromServices] GatewayClient gateway,
        [FromQuery] string? after, [FromQuery] string? limit)
    {
        after ??= "";
        if (after.Length > 0 && RequestParsing.StackId(after) is { IsOk: false } badCursor)
            return ProblemAnswers.BadRequest($"after: {badCursor.Error}");
        var pageSize = DefaultPageSize;
        if (limit is not null && (!int.TryParse(limit, out pageSize) || pageSize is < 1 or > ListStacks.MaxLimit))
            return ProblemAnswers.BadRequest($"limit must be a whole number from 1 to {ListStacks.MaxLimit}");
        var reply = await gateway.RunAsync(new RunQuery(new ListStacks(after, pageSize)), context.RequestAborted);
        if (ProblemAnswers.Failure(context, reply) is { } failure) return failure;
        var ids = ((Completed)reply).Result.Values ?? [];
        return TypedResults.Ok(new StackPage(ids, ids.Count == pageSize ? ids[^1] : null));
    }

    private static async Task<IResult> CreateAsync(HttpContext context, [FromServices] GatewayClient gateway, string id) =>
        await RunAsync(context, gateway, id, (stackId, key) => new RunCommand(CommandKind.Create, stackId, null, key), (stackId, result) =>
            result.Outcome switch
            {
                StackOutcome.Created => TypedResults.Json(new StackCreated(stackId, true), V1JsonContext.Default.StackCreated, statusCode: 201),
                StackOutcome.AlreadyExists => TypedResults.Json(new StackCreated(stackId, false), V1JsonContext.Default.StackCreated),
                _ => null,
            });

    private static async Task<IResult> DeleteAsync(HttpContext context, [FromServices] GatewayClient gateway, string id) =>
        await RunAsync(context, gateway, id, (stackId, key) => new RunCommand(CommandKind.Delete, stackId, null, key), (stackId, result) =>
            result.Outcome == StackOutcome.Ok ? TypedResults.Json(new StackDeleted(stackId), V1JsonContext.Default.StackDeleted) : null);

    private static async Task<IResult> DescribeAsync(HttpContext context, [FromServices] GatewayClient gateway, string id)
    {
        var stackId = RequestParsing.StackId(id);
        if (!stackId.IsOk) return ProblemAnswers.BadRequest(stackId.Error);
        var reply = await gateway.RunAsync(new RunQuery(new DescribeStack(stackId.Value)), context.RequestAborted);
        if (ProblemAnswers.Failure(context, reply) is { } failure) return failure;
        var result = ((Completed)reply).Result;
        return result.Outcome == StackOutcome.Ok
            ? TypedResults.Json(new StackDescription(stackId.Value, result.Size, result.Value), V1JsonContext.Default.StackDescription)
            : Common(stackId.Value, result);
    }

    private static async Task<IResult> PushAsync(HttpContext context, [FromServices] GatewayClient gateway, string id)
    {
        var bytes = await BodyReader.ReadAtMostAsync(context.Request, RequestParsing.MaxBodyBytes, context.RequestAborted);
        if (bytes is null) return ProblemAnswers.TooLarge();
        var values = JsonValues.Parse(bytes);
        if (!values.IsOk) return ProblemAnswers.BadRequest(values.Error);
        var count = values.Value.Count;
        // One value goes as the original command kind, which every member reads even during an upgrade.
        return await RunAsync(context, gateway, id, (stackId, key) => count == 1
                ? new RunCommand(CommandKind.Push, stackId, values.Value[0], key)
                : new RunCommand(CommandKind.PushMany, stackId, null, key, values.Value),
            (_, result) => result.Outcome == StackOutcome.Ok
                ? TypedResults.Json(new ItemsPushed(count, result.Size), V1JsonContext.Default.ItemsPushed)
                : null);
    }

    private static async Task<IResult> PopAsync(HttpContext context, [FromServices] GatewayClient gateway, string id, [FromQuery] string? count)
    {
        var requested = 1;
        if (count is not null && (!int.TryParse(count, out requested) || requested is < 1 or > PopValues.MaxCount))
            return ProblemAnswers.BadRequest($"count must be a whole number from 1 to {PopValues.MaxCount}");
        return await RunAsync(context, gateway, id, (stackId, key) => requested == 1
                ? new RunCommand(CommandKind.Pop, stackId, null, key)
                : new RunCommand(CommandKind.PopMany, stackId, null, key, Count: requested),
            (_, result) => result.Outcome == StackOutcome.Ok
                ? TypedResults.Json(new ItemsPopped(result.Values ?? [result.Value ?? ""], requested, result.Size), V1JsonContext.Default.ItemsPopped)
                : null);
    }

    /// <summary>Validates the id and the Idempotency-Key, runs the command, and answers with <paramref name="success"/> or a problem.</summary>
    private static async Task<IResult> RunAsync(HttpContext context, GatewayClient gateway, string id,
        Func<string, string?, RunCommand> command, Func<string, StackResult, IResult?> success)
    {
        var key = RequestParsing.IdempotencyKey(context.Request.Headers[RequestParsing.IdempotencyKeyHeader].ToArray());
        if (!key.IsOk) return ProblemAnswers.BadRequest(key.Error);
        var stackId = RequestParsing.StackId(id);
        if (!stackId.IsOk) return ProblemAnswers.BadRequest(stackId.Error);
        var reply = await gateway.RunAsync(command(stackId.Value, key.Value), context.RequestAborted);
        if (ProblemAnswers.Failure(context, reply) is { } failure) return failure;
        var result = ((Completed)reply).Result;
        if (result.Outcome == StackOutcome.RequestKeysFull) return ProblemAnswers.KeysFull(context);
        return success(stackId.Value, result) ?? Common(stackId.Value, result);
    }

    private static IResult Common(string stackId, StackResult result) => result.Outcome switch
    {
        StackOutcome.NotFound => ProblemAnswers.NotFound(stackId),
        StackOutcome.Empty => ProblemAnswers.Empty(stackId),
        StackOutcome.KeyReused => ProblemAnswers.KeyReused(),
        _ => TypedResults.Problem($"unexpected result from the state machine: {result.Outcome}", statusCode: 500),
    };
}
