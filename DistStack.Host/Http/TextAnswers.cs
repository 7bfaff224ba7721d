using DistStack.Actors.Node;

namespace DistStack.Host.Http;

/// <summary>Plain-text answers: one line, ending in "\n", like the seed's.</summary>
public static class TextAnswers
{
    public static Task WriteAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(text.EndsWith('\n') ? text : text + "\n", context.RequestAborted);
    }

    public static Task MethodNotAllowedAsync(HttpContext context, string allowed)
    {
        context.Response.Headers.Allow = allowed;
        return WriteAsync(context, StatusCodes.Status405MethodNotAllowed,
            $"{context.Request.Method} is not allowed on {context.Request.Path}; use {allowed}");
    }

    /// <summary>The answers every endpoint shares: nothing started (503) or outcome unknown (504).</summary>
    public static Task? FailureAsync(HttpContext context, NodeReply reply)
    {
        switch (reply)
        {
            case NotStarted notStarted:
                // Never left this node: nothing can have been applied, so any retry is safe.
                context.Response.Headers.RetryAfter = "1";
                return WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                    $"not started: {notStarted.Reason}; nothing was changed, retry");
            case OutcomeUnknown unknown:
                return WriteAsync(context, StatusCodes.Status504GatewayTimeout,
                    $"outcome unknown: {unknown.Reason}; retry with the same Idempotency-Key");
            default:
                return null;
        }
    }
}
