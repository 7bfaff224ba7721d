using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace DistStack.Client;

/// <summary>
/// A DistStack cluster, given every node's URL. Each method is one logical operation: it retries on other nodes
/// until it has a definite answer or its deadline passes, reusing ONE Idempotency-Key for every attempt of a write,
/// so a leader failover is invisible to the caller and no write applies twice (see the README, "The .NET client").
/// Thread-safe; one attempt at a time per operation (never parallel copies of a write).
/// </summary>
public sealed class DistStackClient : IDisposable
{
    private static readonly ResiliencePropertyKey<OperationAttempts> AttemptsKey = new("DistStack.Client.Attempts");
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly DistStackClientOptions _options;
    private readonly IReadOnlyList<Uri> _nodes;
    private readonly TimeProvider _time;
    private readonly ResiliencePipeline<Answer> _pipeline;
    private int _preferredNode;

    /// <summary>A client with its own HttpClient for these nodes and default timings.</summary>
    public DistStackClient(params Uri[] nodes) : this(OptionsFor(nodes)) { }

    /// <summary>A client with its own HttpClient.</summary>
    public DistStackClient(DistStackClientOptions options)
        : this(new HttpClient(CreateHandler(options)) { Timeout = Timeout.InfiniteTimeSpan }, options, TimeProvider.System, ownsHttp: true) { }

    /// <summary>
    /// A connection that cannot be made within half an attempt fails as a connection error, which means nothing was
    /// sent (a 503-like "not started"); an attempt timeout while connecting could not tell that apart from a write in
    /// flight and would make the outcome unknown. Connections are renewed every 2 minutes so DNS changes are seen.
    /// </summary>
    internal static SocketsHttpHandler CreateHandler(DistStackClientOptions options) => new()
    {
        ConnectTimeout = options.AttemptTimeout / 2,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
    };

    /// <summary>A client over an HttpClient someone else owns (e.g. from IHttpClientFactory; see <c>AddDistStackClient</c>).</summary>
    public DistStackClient(HttpClient http, DistStackClientOptions options) : this(http, options, TimeProvider.System, ownsHttp: false) { }

    internal DistStackClient(HttpClient http, DistStackClientOptions options, TimeProvider time, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _http = http;
        _ownsHttp = ownsHttp;
        _options = options;
        _nodes = [.. options.Nodes.Select(n => n.AbsoluteUri.EndsWith('/') ? n : new Uri(n.AbsoluteUri + "/"))];
        _time = time;
        _preferredNode = Random.Shared.Next(_nodes.Count);
        _pipeline = BuildPipeline(options.AttemptTimeout, time);
    }

    /// <summary>The node URLs this client uses.</summary>
    public IReadOnlyList<Uri> Nodes => _nodes;

    private static DistStackClientOptions OptionsFor(Uri[] nodes)
    {
        var options = new DistStackClientOptions();
        foreach (var node in nodes) options.Nodes.Add(node);
        return options;
    }

    // The loop, its delays and the per-attempt timeout are Polly's; which node, how long to wait and what an answer
    // means are ours (OperationAttempts).
    private static ResiliencePipeline<Answer> BuildPipeline(TimeSpan attemptTimeout, TimeProvider time) =>
        new ResiliencePipelineBuilder<Answer> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<Answer>
            {
                MaxRetryAttempts = int.MaxValue, // the deadline ends an operation, not a count
                ShouldHandle = args => ValueTask.FromResult(args.Outcome is { Result.IsDefinite: false } or { Exception: TimeoutRejectedException }),
                DelayGenerator = args =>
                {
                    var attempts = args.Context.Properties.GetValue(AttemptsKey, null!);
                    return ValueTask.FromResult<TimeSpan?>(attempts.DelayBeforeNextAttempt());
                },
            })
            .AddTimeout(attemptTimeout)
            .Build();

    /// <summary>Creates the stack if it does not exist. True if this call created it, false if it was already there (nothing reset).</summary>
    public async Task<bool> CreateAsync(string stackId, CancellationToken cancellationToken = default)
    {
        var answer = await WriteAsync(HttpMethod.Put, StackPath(stackId), null, stackId, cancellationToken);
        return Read(answer, ClientJsonContext.Default.StackCreatedDocument).Created;
    }

    /// <summary>Deletes the stack and its values. Throws <see cref="StackNotFoundException"/> if there is none.</summary>
    public async Task DeleteAsync(string stackId, CancellationToken cancellationToken = default) =>
        await WriteAsync(HttpMethod.Delete, StackPath(stackId), null, stackId, cancellationToken);

    /// <summary>Pushes one value (1 byte to 64 KiB of UTF-8); returns the stack's new size.</summary>
    public Task<long> PushAsync(string stackId, string value, CancellationToken cancellationToken = default) =>
        PushManyAsync(stackId, [value], cancellationToken);

    /// <summary>
    /// Pushes the values in order (the last ends on top) atomically, in one log entry: all or none, with nothing
    /// in between. 1 to 10,000 values and at most 1 MiB of JSON per call. Returns the stack's new size.
    /// </summary>
    public async Task<long> PushManyAsync(string stackId, IReadOnlyList<string> values, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var body = JsonSerializer.SerializeToUtf8Bytes(values, ClientJsonContext.Default.IReadOnlyListString);
        var answer = await WriteAsync(HttpMethod.Post, StackPath(stackId) + "/items", body, stackId, cancellationToken);
        return Read(answer, ClientJsonContext.Default.ItemsPushedDocument).Size;
    }

    /// <summary>Pops the top value. Throws <see cref="StackEmptyException"/> on an empty stack. A retried pop returns the same value.</summary>
    public async Task<string> PopAsync(string stackId, CancellationToken cancellationToken = default) =>
        (await PopManyAsync(stackId, 1, cancellationToken))[0];

    /// <summary>
    /// Pops up to <paramref name="count"/> values (1 to 1,000) atomically, top first; fewer if the stack holds fewer.
    /// Throws <see cref="StackEmptyException"/> on an empty stack.
    /// </summary>
    public async Task<IReadOnlyList<string>> PopManyAsync(string stackId, int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var path = StackPath(stackId) + "/pop" + (count == 1 ? "" : $"?count={count}");
        var answer = await WriteAsync(HttpMethod.Post, path, null, stackId, cancellationToken);
        return Read(answer, ClientJsonContext.Default.ItemsPoppedDocument).Values;
    }

    /// <summary>The top value (linearizable). Throws <see cref="StackEmptyException"/> on an empty stack.</summary>
    public async Task<string> TopAsync(string stackId, CancellationToken cancellationToken = default) =>
        (await DescribeAsync(stackId, cancellationToken)).Top ?? throw new StackEmptyException(stackId);

    /// <summary>How many values the stack holds (linearizable).</summary>
    public async Task<long> SizeAsync(string stackId, CancellationToken cancellationToken = default) =>
        (await DescribeAsync(stackId, cancellationToken)).Size;

    /// <summary>Whether the stack exists (linearizable).</summary>
    public async Task<bool> ExistsAsync(string stackId, CancellationToken cancellationToken = default)
    {
        try
        {
            await DescribeAsync(stackId, cancellationToken);
            return true;
        }
        catch (StackNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// Every stack id in ordinal order, fetched a page at a time. A stack that exists for the whole enumeration is
    /// listed exactly once; one created or deleted meanwhile may or may not be.
    /// </summary>
    public async IAsyncEnumerable<string> ListAsync(int pageSize = 100, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? after = "";
        while (after is not null)
        {
            var page = await ListPageAsync(after, pageSize, cancellationToken);
            foreach (var id in page.Stacks) yield return id;
            after = page.Next;
        }
    }

    /// <summary>One page of at most <paramref name="limit"/> ids (1 to 1,000) after <paramref name="after"/> ("" = from the start).</summary>
    public async Task<StackListPage> ListPageAsync(string after = "", int limit = 100, CancellationToken cancellationToken = default)
    {
        var answer = await ReadAsync($"v1/stacks?after={Uri.EscapeDataString(after)}&limit={limit}", "", cancellationToken);
        var page = Read(answer, ClientJsonContext.Default.StackPageDocument);
        return new StackListPage(page.Stacks, page.Next);
    }

    /// <summary>One node's view of the cluster, one attempt (for monitoring: no retry on another node).</summary>
    public async Task<ClusterStatus> StatusAsync(Uri node, CancellationToken cancellationToken = default)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(_options.AttemptTimeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(WithSlash(node), "cluster/status"));
        if (_options.BearerToken is { } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request, attempt.Token);
        var body = await response.Content.ReadAsStringAsync(attempt.Token);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new DistStackUnavailableException($"{node} answered {(int)response.StatusCode}: {body.Trim()}");
        return JsonSerializer.Deserialize(body, ClientJsonContext.Default.ClusterStatus)
               ?? throw new DistStackUnavailableException($"{node} answered an empty status");
    }

    /// <summary>Every configured node's status, asked at once; a node that does not answer has an <see cref="NodeStatusResult.Error"/>.</summary>
    public async Task<IReadOnlyList<NodeStatusResult>> StatusOfAllAsync(CancellationToken cancellationToken = default) =>
        await Task.WhenAll(_nodes.Select(async node =>
        {
            try
            {
                return new NodeStatusResult(node, await StatusAsync(node, cancellationToken), null);
            }
            catch (Exception e) when (e is HttpRequestException or DistStackException or JsonException
                                          or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return new NodeStatusResult(node, null, e is OperationCanceledException ? "no answer in time" : e.Message);
            }
        }));

    private async Task<StackDescriptionDocument> DescribeAsync(string stackId, CancellationToken cancellationToken) =>
        Read(await ReadAsync(StackPath(stackId), stackId, cancellationToken), ClientJsonContext.Default.StackDescriptionDocument);

    private static string StackPath(string stackId)
    {
        ArgumentException.ThrowIfNullOrEmpty(stackId);
        return "v1/stacks/" + Uri.EscapeDataString(stackId);
    }

    private static Uri WithSlash(Uri node) => node.AbsoluteUri.EndsWith('/') ? node : new Uri(node.AbsoluteUri + "/");

    private Task<Answer> WriteAsync(HttpMethod method, string path, byte[]? body, string stackId, CancellationToken cancellationToken) =>
        RunAsync(new Request(method, path, body, stackId), Guid.NewGuid().ToString("N"), cancellationToken);

    private Task<Answer> ReadAsync(string path, string stackId, CancellationToken cancellationToken) =>
        RunAsync(new Request(HttpMethod.Get, path, null, stackId), null, cancellationToken);

    /// <summary>One logical operation: attempts until a definite answer, which is returned if it is a success and thrown otherwise.</summary>
    private async Task<Answer> RunAsync(Request request, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var attempts = new OperationAttempts(_nodes, Volatile.Read(ref _preferredNode), idempotencyKey, _time, _options.MaxBackoff);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.Deadline);
        var context = ResilienceContextPool.Shared.Get(deadline.Token);
        context.Properties.Set(AttemptsKey, attempts);
        Answer answer;
        try
        {
            answer = await _pipeline.ExecuteAsync(
                static (ctx, state) => state.Client.AttemptAsync(state.Request, ctx.Properties.GetValue(AttemptsKey, null!), ctx.CancellationToken),
                context, (Client: this, Request: request));
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutRejectedException && !cancellationToken.IsCancellationRequested)
        {
            throw DeadlinePassed(request, attempts, e);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
        Volatile.Write(ref _preferredNode, attempts.CurrentNode);
        return answer.Status is >= 200 and < 300 ? answer : throw Refusal(answer, request.StackId);
    }

    private Exception DeadlinePassed(Request request, OperationAttempts attempts, Exception cause)
    {
        var what = $"{request.Method} /{request.Path}: no definite answer within {_options.Deadline.TotalSeconds:0.###} s " +
                   $"after {attempts.Attempts} attempt(s); last: {attempts.LastProblem}";
        return attempts.MayHaveApplied && attempts.IdempotencyKey is { } key
            ? new OutcomeUnknownException(what + $". It may have been applied (at most once): retry with Idempotency-Key {key}.", key, cause)
            : new DistStackUnavailableException(what + ". Nothing was applied.", cause);
    }

    private async ValueTask<Answer> AttemptAsync(Request request, OperationAttempts attempts, CancellationToken cancellationToken)
    {
        var node = attempts.StartAttempt();
        using var message = new HttpRequestMessage(request.Method, new Uri(node, request.Path));
        // A write always carries content (empty when it has no body), so the attempt knows whether anything of it
        // reached a connection: cancelled before that, it is "not started", not "may have applied".
        SendTrackingContent? content = null;
        if (request.Body is not null || attempts.IdempotencyKey is not null)
        {
            message.Content = content = new SendTrackingContent(request.Body ?? []);
            if (request.Body is not null) message.Content.Headers.ContentType = JsonContentType;
        }
        if (attempts.IdempotencyKey is { } key) message.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        if (_options.BearerToken is { } token) message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            using var response = await _http.SendAsync(message, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var status = (int)response.StatusCode;
            switch (status)
            {
                case 503:
                    attempts.NotStarted(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), $"503 {Detail(body)}");
                    return new Answer(status, body, IsDefinite: false);
                case >= 500:
                    // 504 by contract; any other 5xx (a proxy's 502) cannot promise nothing happened either.
                    attempts.Unknown($"{status} {Detail(body)}");
                    return new Answer(status, body, IsDefinite: false);
                default:
                    return new Answer(status, body, IsDefinite: true);
            }
        }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            // The connection was never made: nothing was sent.
            attempts.NotStarted(OperationAttempts.UnreachableRest, $"unreachable ({e.Message})");
            return new Answer(0, "", IsDefinite: false);
        }
        catch (HttpRequestException e)
        {
            // Sent, perhaps in full, and the connection dropped before the answer (the node died mid-request).
            attempts.Unknown($"connection lost ({e.Message})");
            return new Answer(0, "", IsDefinite: false);
        }
        catch (OperationCanceledException) when (content is { Started: false })
        {
            // Cancelled before the request was written to any connection (still connecting, say): nothing was sent.
            attempts.NotStarted(OperationAttempts.UnreachableRest, "no connection before the attempt was cancelled");
            throw;
        }
        catch (OperationCanceledException)
        {
            // The attempt timed out, the deadline passed or the caller cancelled while this request may have been
            // sent: a write in flight may still apply.
            attempts.Unknown("no answer before the attempt was cancelled");
            throw;
        }
    }

    private static Exception Refusal(Answer answer, string stackId) => answer.Status switch
    {
        404 => new StackNotFoundException(stackId),
        409 => new StackEmptyException(stackId),
        _ => new DistStackBadRequestException(answer.Status, Detail(answer.Body)),
    };

    private static string Detail(string body)
    {
        try
        {
            var problem = JsonSerializer.Deserialize(body, ClientJsonContext.Default.ProblemDocument);
            if (problem?.Detail is { } detail) return detail;
        }
        catch (JsonException)
        {
            // not a problem document: the text as it is
        }
        return body.Trim();
    }

    private static T Read<T>(Answer answer, JsonTypeInfo<T> type) =>
        JsonSerializer.Deserialize(answer.Body, type) ?? throw new JsonException($"an empty answer where a {typeof(T).Name} was expected");

    /// <summary>Disposes the HttpClient if this client created it.</summary>
    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private sealed record Request(HttpMethod Method, string Path, byte[]? Body, string StackId);

    private readonly record struct Answer(int Status, string Body, bool IsDefinite);
}

/// <summary>One page of a listing: <see cref="Next"/> is the <c>after</c> of the next page, null after the last.</summary>
public sealed record StackListPage(IReadOnlyList<string> Stacks, string? Next);
