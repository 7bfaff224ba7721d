using System.Text.Json;
using DistStack.Host.Gateway;

namespace DistStack.Host.Http;

/// <summary>GET /cluster/status (JSON), GET /health (liveness), GET /health/ready (readiness).</summary>
public static class StatusEndpoints
{
    public static IEndpointRouteBuilder MapStatusEndpoints(this IEndpointRouteBuilder app)
    {
        MapGet(app, "/cluster/status", async context =>
        {
            var reply = await context.RequestServices.GetRequiredService<GatewayClient>().StatusAsync(context.RequestAborted);
            switch (reply)
            {
                case StatusReply.Known known:
                    context.Response.StatusCode = StatusCodes.Status200OK;
                    context.Response.ContentType = "application/json; charset=utf-8";
                    await JsonSerializer.SerializeAsync(context.Response.Body, ClusterStatusDocument.From(known.Status),
                        HostJsonContext.Default.ClusterStatusDocument, context.RequestAborted);
                    await context.Response.WriteAsync("\n", context.RequestAborted);
                    break;
                case StatusReply.Unavailable unavailable:
                    context.Response.Headers.RetryAfter = "1";
                    await TextAnswers.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, unavailable.Reason);
                    break;
            }
        });

        // Liveness: the process serves HTTP. Deliberately does not touch Raft: a node without a leader is alive.
        MapGet(app, "/health", context => TextAnswers.WriteAsync(context, StatusCodes.Status200OK, "ok"));

        // Readiness: a leader is known and everything known committed is applied, so reads here are current.
        MapGet(app, "/health/ready", async context =>
        {
            var reply = await context.RequestServices.GetRequiredService<GatewayClient>().StatusAsync(context.RequestAborted);
            var (ready, text) = reply switch
            {
                StatusReply.Known { Status.LeaderId: null } => (false, "not ready: no leader known"),
                StatusReply.Known { Status: var s } when s.AppliedIndex < s.CommitIndex =>
                    (false, $"not ready: applied {s.AppliedIndex} of {s.CommitIndex} committed entries"),
                StatusReply.Known { Status: var s } => (true, $"ready: leader {s.LeaderId}, term {s.Term}, applied {s.AppliedIndex}"),
                StatusReply.Unavailable u => (false, $"not ready: {u.Reason}"),
                _ => (false, "not ready"),
            };
            if (!ready) context.Response.Headers.RetryAfter = "1";
            await TextAnswers.WriteAsync(context, ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, text);
        });
        return app;
    }

    /// <summary>Unknown paths: a one-line 404 instead of an empty body.</summary>
    public static IEndpointRouteBuilder MapUnknownPaths(this IEndpointRouteBuilder app)
    {
        // "{**path}", not MapFallback's default "{*path:nonfile}": a path whose last segment has a dot ("/x/a.b")
        // would otherwise get an empty 404 from no endpoint at all (found by the HTTP fuzz test).
        app.MapFallback("{**path}", context => TextAnswers.WriteAsync(context, StatusCodes.Status404NotFound,
            $"no such endpoint: {context.Request.Method} {context.Request.Path}"));
        return app;
    }

    internal static void MapGet(IEndpointRouteBuilder app, string path, RequestDelegate handler) =>
        app.Map(path, context => HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
            ? handler(context)
            : TextAnswers.MethodNotAllowedAsync(context, "GET, HEAD"));
}
