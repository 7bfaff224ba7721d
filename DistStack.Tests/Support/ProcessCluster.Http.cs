using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DistStack.Host.Http;

namespace DistStack.Tests.Support;

/// <summary>An HTTP answer as the tests see it: status code and body (Text is the body without its final "\n").</summary>
public sealed record HttpAnswer(int Status, string Body, TimeSpan Elapsed, IReadOnlyDictionary<string, string>? Headers = null)
{
    /// <summary>A response or content header (values joined with ", "), or null.</summary>
    public string? Header(string name) => Headers is not null && Headers.TryGetValue(name, out var value) ? value : null;

    public string Text => Body.EndsWith('\n') ? Body[..^1] : Body;

    /// <summary>A definite answer (2xx or 4xx): the request took effect or was rejected; retrying elsewhere is pointless.</summary>
    public bool IsDefinite => Status is >= 200 and < 300 or >= 400 and < 500;

    public override string ToString() => $"{Status} {Text}";
}

public sealed partial class ProcessCluster
{
    /// <summary>POST <paramref name="body"/> (UTF-8) to one node. Null when the node cannot be reached or times out.</summary>
    public Task<HttpAnswer?> PostAsync(NodeProcess node, string path, string body, string? idempotencyKey = null,
        CancellationToken cancellationToken = default, TimeSpan? timeout = null) =>
        SendAsync(node, HttpMethod.Post, path, Encoding.UTF8.GetBytes(body), idempotencyKey, cancellationToken, timeout);

    /// <summary>
    /// Any method, raw body bytes. Null when the node cannot be reached or does not answer within
    /// <paramref name="timeout"/> (default: the client's 15 s).
    /// </summary>
    public async Task<HttpAnswer?> SendAsync(NodeProcess node, HttpMethod method, string path, byte[]? body = null,
        string? idempotencyKey = null, CancellationToken cancellationToken = default, TimeSpan? timeout = null)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } limit) attempt.CancelAfter(limit);
        using var request = new HttpRequestMessage(method, new Uri(node.HttpUrl, path));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            // What curl -d sends; the server must not decode it as a form.
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        }
        if (idempotencyKey is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        var started = Stopwatch.StartNew();
        try
        {
            using var response = await Http.SendAsync(request, attempt.Token);
            var text = await response.Content.ReadAsStringAsync(attempt.Token);
            var headers = response.Headers.Concat(response.Content.Headers)
                .ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase);
            return new HttpAnswer((int)response.StatusCode, text, started.Elapsed, headers);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>GET /cluster/status of one node; null if it does not answer 200 within a couple of seconds.</summary>
    public async Task<ClusterStatusDocument?> StatusAsync(NodeProcess node, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            using var response = await Http.GetAsync(new Uri(node.HttpUrl, "/cluster/status"), timeout.Token);
            if (!response.IsSuccessStatusCode) return null;
            var json = await response.Content.ReadAsStringAsync(timeout.Token);
            return JsonSerializer.Deserialize(json, HostJsonContext.Default.ClusterStatusDocument);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Status of every serving node that answers, by node id.</summary>
    public async Task<IReadOnlyDictionary<int, ClusterStatusDocument>> StatusesAsync(CancellationToken cancellationToken = default)
    {
        var serving = Serving.ToList();
        var statuses = await Task.WhenAll(serving.Select(n => StatusAsync(n, cancellationToken)));
        return serving.Zip(statuses, (node, status) => (node, status)).Where(p => p.status is not null)
            .ToDictionary(p => p.node.Id, p => p.status!);
    }

    /// <summary>
    /// Sends until a definite answer (2xx/4xx), trying serving nodes in turn (<paramref name="preferred"/> first) and
    /// always with the same Idempotency-Key, so a retry after 503/504/no answer cannot apply twice. Like a careful
    /// client, it gives up on one attempt after <paramref name="attemptTimeout"/> (default: the server's own 5 s
    /// request timeout) and retries elsewhere.
    /// </summary>
    public async Task<(HttpAnswer Answer, NodeProcess Node)> PostUntilDefiniteAsync(string path, string body,
        string idempotencyKey, TimeSpan timeout, NodeProcess? preferred = null, CancellationToken cancellationToken = default,
        TimeSpan? attemptTimeout = null)
    {
        var deadline = Stopwatch.StartNew();
        HttpAnswer? last = null;
        var attempts = 0;
        while (deadline.Elapsed < timeout)
        {
            var order = Serving.OrderBy(n => n == preferred ? 0 : 1).ThenBy(n => (n.Id + attempts) % Nodes.Count).ToList();
            foreach (var node in order)
            {
                attempts++;
                var answer = await PostAsync(node, path, body, idempotencyKey, cancellationToken, attemptTimeout);
                if (answer is { IsDefinite: true }) return (answer, node);
                last = answer ?? last;
                if (deadline.Elapsed >= timeout) break;
            }
            await Task.Delay(50, cancellationToken);
        }
        throw new TimeoutException($"POST {path} '{body}' (key {idempotencyKey}) got no definite answer within {timeout} " +
            $"after {attempts} attempts; last: {last?.ToString() ?? "no answer"}");
    }
}
