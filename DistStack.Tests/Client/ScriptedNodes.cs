using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using DistStack.Tests.Support;

namespace DistStack.Tests.Client;

/// <summary>
/// Real Kestrel servers on free loopback ports standing in for nodes, each answering by a script, and recording
/// every request (node, method, path, Idempotency-Key) and the most requests ever in flight at once. For the
/// client's retry rules, which need answers (503, 504, dropped connections) a healthy cluster does not give on cue.
/// </summary>
public sealed class ScriptedNodes : IAsyncDisposable
{
    private readonly List<WebApplication> _apps = [];
    private int _inFlight;
    private int _maxInFlight;

    public sealed record Seen(int Node, string Method, string Path, string? Key);

    public ConcurrentQueue<Seen> Requests { get; } = new();

    public IReadOnlyList<Uri> Urls { get; private set; } = [];

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Starts <paramref name="count"/> nodes; <paramref name="answer"/> gets the node's index (0-based) and the request's ordinal (0-based, over all nodes).</summary>
    public static async Task<ScriptedNodes> StartAsync(int count, Func<int, int, HttpContext, Task> answer)
    {
        var nodes = new ScriptedNodes();
        var ports = TestPorts.Take(count);
        var ordinal = -1;
        for (var i = 0; i < count; i++)
        {
            var node = i;
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls($"http://127.0.0.1:{ports[i]}");
            var app = builder.Build();
            app.Run(async context =>
            {
                var now = Interlocked.Increment(ref nodes._inFlight);
                int seen;
                do seen = Volatile.Read(ref nodes._maxInFlight);
                while (now > seen && Interlocked.CompareExchange(ref nodes._maxInFlight, now, seen) != seen);
                try
                {
                    nodes.Requests.Enqueue(new Seen(node, context.Request.Method, context.Request.Path + context.Request.QueryString,
                        context.Request.Headers["Idempotency-Key"].FirstOrDefault()));
                    await answer(node, Interlocked.Increment(ref ordinal), context);
                }
                finally
                {
                    Interlocked.Decrement(ref nodes._inFlight);
                }
            });
            await app.StartAsync();
            nodes._apps.Add(app);
        }
        nodes.Urls = [.. ports.Select(p => new Uri($"http://127.0.0.1:{p}"))];
        return nodes;
    }

    public static Task Problem(HttpContext context, int status, string? retryAfter = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        if (retryAfter is not null) context.Response.Headers.RetryAfter = retryAfter;
        return context.Response.WriteAsync($$"""{"status":{{status}},"title":"scripted","detail":"scripted {{status}}"}""");
    }

    public static Task Json(HttpContext context, string json, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json);
    }

    /// <summary>Closes the connection without an answer, as a node that dies mid-request does.</summary>
    public static Task Drop(HttpContext context)
    {
        context.Abort();
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
