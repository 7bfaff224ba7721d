using DistStack.Actors.Node;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DistStack.Host.Http.V1;

/// <summary>
/// Errors of the /v1 API as RFC 9457 problem details (application/problem+json), with the text API's status codes
/// and the same retry contract: 503 + Retry-After = nothing happened, retry anywhere; 504 = unknown, retry with the
/// same Idempotency-Key.
/// </summary>
public static class ProblemAnswers
{
    public static IResult BadRequest(string detail) => Problem(StatusCodes.Status400BadRequest, "Bad request", detail);

    public static IResult NotFound(string stackId) => Problem(StatusCodes.Status404NotFound, "No such stack", $"no such stack: {stackId}");

    public static IResult Empty(string stackId) => Problem(StatusCodes.Status409Conflict, "Stack is empty", $"stack {stackId} is empty");

    public static IResult TooLarge() => Problem(StatusCodes.Status413PayloadTooLarge, "Body too large",
        $"the body is larger than {RequestParsing.MaxBodyBytes / (1024 * 1024)} MiB");

    public static IResult KeyReused() => Problem(StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused",
        "this Idempotency-Key was already used for a different request; nothing was applied. Use a new key for a new request");

    public static IResult KeysFull(HttpContext context)
    {
        context.Response.Headers.RetryAfter = "10";
        return Problem(StatusCodes.Status503ServiceUnavailable, "Not started",
            "the cluster remembers as many Idempotency-Keys as it can until older ones age out (10 minutes); " +
            "nothing was applied and this key was not recorded, retry later");
    }

    /// <summary>The answers every endpoint shares: nothing started (503) or outcome unknown (504); null otherwise.</summary>
    public static IResult? Failure(HttpContext context, NodeReply reply)
    {
        switch (reply)
        {
            case NotStarted notStarted:
                context.Response.Headers.RetryAfter = "1";
                return Problem(StatusCodes.Status503ServiceUnavailable, "Not started",
                    $"not started: {notStarted.Reason}; nothing was changed, retry");
            case OutcomeUnknown unknown:
                return Problem(StatusCodes.Status504GatewayTimeout, "Outcome unknown",
                    $"outcome unknown: {unknown.Reason}; retry with the same Idempotency-Key");
            default:
                return null;
        }
    }

    private static ProblemHttpResult Problem(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title);
}
