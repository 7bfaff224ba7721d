using Akka.Actor;
using Akka.Hosting;
using DistStack.Actors.Backup;
using DistStack.Actors.Hosting;
using DistStack.Actors.Node;
using DistStack.Actors.Stacks;
using DistStack.Host.Gateway;

namespace DistStack.Host.Http;

/// <summary>
/// GET /cluster/snapshot: a backup of the whole state machine at a linearizable point, as a <see cref="BackupFile"/>.
/// It is a read (<see cref="CaptureState"/>) through the gateway like any other: ReadIndex confirmed by the leader
/// (a follower asks it), then the registry hands over its immutable state once applied at least that far. Encoding
/// that state and hashing it happen here, on the request's thread, so the node keeps applying meanwhile.
/// Admin scope under --auth-tokens (<see cref="Security.AccessRules"/>).
/// </summary>
public static class BackupEndpoints
{
    public const string Path = "/cluster/snapshot";

    public static IEndpointRouteBuilder MapBackupEndpoints(this IEndpointRouteBuilder app)
    {
        app.Map(Path, context => HttpMethods.IsGet(context.Request.Method)
            ? ServeAsync(context)
            : TextAnswers.MethodNotAllowedAsync(context, "GET"));
        return app;
    }

    private static async Task ServeAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var gateway = await services.GetRequiredService<IRequiredActor<HttpGateway>>().GetAsync(context.RequestAborted);
        var timeout = services.GetRequiredService<GatewaySettings>().RequestTimeout;
        object reply;
        try
        {
            reply = await gateway.Ask<object>(new RunQuery(new CaptureState()), timeout, context.RequestAborted);
        }
        catch (AskTimeoutException)
        {
            await TextAnswers.WriteAsync(context, StatusCodes.Status504GatewayTimeout,
                "outcome unknown: the node did not answer in time; a backup changes nothing, retry");
            return;
        }

        switch (reply)
        {
            case StateCaptured captured when captured.Configuration is not null:
                var settings = services.GetRequiredService<RaftNodeSettings>();
                var header = new BackupHeader(settings.ClusterId, captured.State.AppliedIndex, captured.Term,
                    captured.Configuration, settings.NodeId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                var state = StackSnapshotCodec.Write(captured.State);
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = "application/octet-stream";
                context.Response.ContentLength = BackupFile.Length(BackupFile.Prefix(header, state.Length), state.Length);
                context.Response.Headers.ContentDisposition = $"attachment; filename=\"{BackupFile.FileNameFor(header)}\"";
                await BackupFile.WriteAsync(context.Response.Body, header, state, context.RequestAborted);
                break;
            case StateCaptured:
                context.Response.Headers.RetryAfter = "1";
                await TextAnswers.WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                    "not started: this node has not applied a configuration entry yet; retry");
                break;
            case NodeReply failure when TextAnswers.FailureAsync(context, failure) is { } answered:
                await answered;
                break;
            default:
                await TextAnswers.WriteAsync(context, StatusCodes.Status500InternalServerError,
                    $"unexpected answer {reply.GetType().Name} to a backup");
                break;
        }
    }
}
