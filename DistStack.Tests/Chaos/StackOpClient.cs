using System.Net.Sockets;
using System.Text;
using DistStack.Tests.Linearizability;

namespace DistStack.Tests.Chaos;

/// <summary>
/// Performs one logical stack operation over HTTP and records it: invocation before the first attempt,
/// completion at the definite answer. Mutations carry one Idempotency-Key across attempts, so a retry after a
/// timeout or a 504 cannot apply twice. Outcome rules: 2xx/404/409 = ok; 503 or a refused connection = this
/// attempt never applied; 504, 500, a timeout or a broken connection = unknown; the op is "failed" only if no
/// attempt was ambiguous. An op still ambiguous after its attempts is not given up: it is retried (with the same
/// key, so it applies at most once, and the answer is the first application's result) until it gets a definite
/// answer, i.e. after the fault heals; only an op unanswered for <see cref="ChaosOptions.ResolveUnknownFor"/> is
/// recorded as unknown, and that fails the run. This keeps the history free of open-ended ops, which is what
/// makes the linearizability search conclusive.
/// </summary>
public sealed class StackOpClient(IChaosCluster cluster, HistoryRecorder history, ChaosClock clock, ChaosOptions options, string runTag)
{
    private long _anomalies;

    /// <summary>Answers the protocol does not allow (e.g. a 500, a push answered 409): each is a product bug.</summary>
    public long Anomalies => Interlocked.Read(ref _anomalies);

    public readonly List<string> AnomalyNotes = [];

    public async Task<HistoryOp> ExecuteAsync(int clientId, string stack, StackOpKind kind, string? value, Random random, int? attempts = null)
    {
        var id = history.NextId();
        var (path, body) = kind switch
        {
            StackOpKind.Create => ("/sCreate", stack),
            StackOpKind.Delete => ("/sDelete", stack),
            StackOpKind.Push => ("/sPush", $"{stack},{value}"),
            StackOpKind.Pop => ("/sPop", stack),
            StackOpKind.Top => ("/sTop", stack),
            StackOpKind.Size => ("/sSize", stack),
            StackOpKind.Exists => ("/sId", stack),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var mutation = kind is StackOpKind.Create or StackOpKind.Delete or StackOpKind.Push or StackOpKind.Pop;
        var key = mutation ? $"{runTag}-{id}" : null;
        var note = new StringBuilder();
        var ambiguous = false;
        var invoked = clock.NowMicros;
        var maxAttempts = attempts ?? options.AttemptsPerOp;
        for (var attempt = 0; attempt < maxAttempts; attempt++)
        {
            var node = cluster.Nodes[random.Next(cluster.Nodes.Count)];
            var (status, text, failure) = await PostAsync(node, path, body, key);
            note.Append($"n{node.Id}:{(status == 0 ? failure : status.ToString())} ");
            if (status is >= 200 and < 300 or 404 or 409)
            {
                var completed = clock.NowMicros;
                if (Interpret(kind, status, text) is { } result)
                {
                    return Record(new HistoryOp(id, clientId, stack, kind, value, invoked, completed, OpStatus.Ok, result), note);
                }

                Anomaly($"#{id} {kind} {body}: unexpected answer {status} '{text}' from node {node.Id}");
                return Record(new HistoryOp(id, clientId, stack, kind, value, invoked, null, OpStatus.Unknown, null), note);
            }

            switch (status)
            {
                case 503:
                case 0 when failure == "refused":
                    break; // this attempt never applied
                case 400 or 405 or 413 or 415 or 422:
                    Anomaly($"#{id} {kind} {body}: rejected {status} '{text}' by node {node.Id}");
                    return Record(new HistoryOp(id, clientId, stack, kind, value, invoked, clock.NowMicros, ambiguous ? OpStatus.Unknown : OpStatus.Failed, null), note);
                default:
                    if (status == 500)
                    {
                        Anomaly($"#{id} {kind} {body}: 500 '{text}' from node {node.Id}");
                    }

                    ambiguous = true;
                    break;
            }

            if (attempt + 1 < maxAttempts || (ambiguous && clock.NowMicros - invoked < (long)options.ResolveUnknownFor.TotalMicroseconds))
            {
                if (attempt + 1 >= maxAttempts)
                {
                    maxAttempts++; // still ambiguous: keep asking until the cluster answers for certain
                }

                await Task.Delay(attempt + 1 < options.AttemptsPerOp ? 50 + random.Next(200) : 200 + random.Next(300));
            }
        }

        var end = clock.NowMicros;
        return Record(new HistoryOp(id, clientId, stack, kind, value, invoked, ambiguous ? null : end, ambiguous ? OpStatus.Unknown : OpStatus.Failed, null), note);
    }

    private HistoryOp Record(HistoryOp op, StringBuilder note)
    {
        history.Add(op, note.ToString().TrimEnd());
        return op;
    }

    private void Anomaly(string text)
    {
        Interlocked.Increment(ref _anomalies);
        lock (AnomalyNotes)
        {
            if (AnomalyNotes.Count < 200)
            {
                AnomalyNotes.Add(text);
            }
        }
    }

    private async Task<(int Status, string Text, string Failure)> PostAsync(IChaosNode node, string path, string body, string? key)
    {
        using var timeout = new CancellationTokenSource(options.RequestTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(node.HttpUrl, path))
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)),
        };
        // What curl -d sends.
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-www-form-urlencoded");
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }

        try
        {
            using var response = await cluster.Http.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            return ((int)response.StatusCode, text.EndsWith('\n') ? text[..^1] : text, "");
        }
        catch (OperationCanceledException)
        {
            return (0, "", "timeout");
        }
        catch (HttpRequestException e) when (IsRefused(e))
        {
            return (0, "", "refused");
        }
        catch (HttpRequestException e)
        {
            return (0, "", "io:" + (e.InnerException?.GetType().Name ?? e.HttpRequestError.ToString()));
        }
    }

    /// <summary>Connection refused or no route: the request never left, nothing can have applied.</summary>
    private static bool IsRefused(HttpRequestException e) =>
        e.HttpRequestError == HttpRequestError.ConnectionError &&
        e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable };

    private static StackOpResult? Interpret(StackOpKind kind, int status, string text) => (kind, status) switch
    {
        (StackOpKind.Create, 201) => StackOpResult.Created,
        (StackOpKind.Create, 200) => StackOpResult.AlreadyExists,
        (StackOpKind.Delete, 200) => StackOpResult.OkResult,
        (StackOpKind.Delete, 404) => StackOpResult.NotFound,
        (StackOpKind.Push, 200) when long.TryParse(text, out var size) => StackOpResult.WithSize(size),
        (StackOpKind.Push, 404) => StackOpResult.NotFound,
        (StackOpKind.Pop or StackOpKind.Top, 200) => StackOpResult.WithValue(text),
        (StackOpKind.Pop or StackOpKind.Top, 404) => StackOpResult.NotFound,
        (StackOpKind.Pop or StackOpKind.Top, 409) => StackOpResult.Empty,
        (StackOpKind.Size, 200) when long.TryParse(text, out var size) => StackOpResult.WithSize(size),
        (StackOpKind.Size, 404) => StackOpResult.NotFound,
        (StackOpKind.Exists, 200) => StackOpResult.OkResult,
        (StackOpKind.Exists, 404) => StackOpResult.NotFound,
        _ => null,
    };
}
