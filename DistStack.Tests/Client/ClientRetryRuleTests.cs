using System.Diagnostics;
using DistStack.Client;
using DistStack.Tests.Support;

namespace DistStack.Tests.Client;

/// <summary>
/// The client's retry rules against scripted real servers: one Idempotency-Key per operation on every attempt and
/// node, 503 moves to another node and honours Retry-After, 504 and dropped connections retry with the key, a 503
/// after an unknown outcome stays unknown, definite answers are never retried, one attempt at a time, the deadline,
/// cancellation.
/// Alone (the cluster collection), because the deadlines and Retry-After waits here are wall-clock time: in a
/// fresh-clone CI run the first requests, JIT-compiling next to the suite's CPU-heavy start, took seconds, and a
/// 1.5 s deadline passed before the second round of attempts. (The retry decisions themselves are tested on a
/// hand-driven clock in OperationAttemptsTests.)
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientRetryRuleTests
{
    private static DistStackClient ClientFor(ScriptedNodes nodes, TimeSpan? deadline = null, TimeSpan? attemptTimeout = null)
    {
        var options = new DistStackClientOptions { Deadline = deadline ?? TimeSpan.FromSeconds(20), AttemptTimeout = attemptTimeout ?? TimeSpan.FromSeconds(5) };
        foreach (var url in nodes.Urls) options.Nodes.Add(url);
        return new DistStackClient(options);
    }

    private const string Pushed = """{"pushed":1,"size":7}""";

    [Fact]
    public async Task A_503_moves_to_another_node_and_every_attempt_carries_the_same_key()
    {
        // The first request, wherever it lands, is answered 503 "retry after 10 s"; the others succeed.
        await using var nodes = await ScriptedNodes.StartAsync(3, (_, ordinal, context) =>
            ordinal == 0 ? ScriptedNodes.Problem(context, 503, "10") : ScriptedNodes.Json(context, Pushed));
        using var client = ClientFor(nodes);

        Assert.Equal(7, await client.PushAsync("s", "v"));

        var seen = nodes.Requests.ToList();
        Assert.Equal(2, seen.Count);
        Assert.NotEqual(seen[0].Node, seen[1].Node);
        Assert.NotNull(seen[0].Key);
        Assert.Equal(seen[0].Key, seen[1].Key);
    }

    [Fact]
    public async Task A_node_that_said_Retry_After_is_not_asked_again_before_it_passes()
    {
        // One node: it said "not before 1 s", so the second attempt waits for it.
        await using var nodes = await ScriptedNodes.StartAsync(1, (_, ordinal, context) =>
            ordinal == 0 ? ScriptedNodes.Problem(context, 503, "1") : ScriptedNodes.Json(context, Pushed));
        using var client = ClientFor(nodes);

        var clock = Stopwatch.StartNew();
        await client.PushAsync("s", "v");
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"retried after {clock.Elapsed.TotalMilliseconds} ms");
        Assert.Equal(2, nodes.Requests.Count);
    }

    [Fact]
    public async Task The_client_works_from_dependency_injection_with_IHttpClientFactory()
    {
        await using var nodes = await ScriptedNodes.StartAsync(1, (_, _, context) => ScriptedNodes.Json(context, Pushed));
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        services.AddDistStackClient(options => options.Nodes.Add(nodes.Urls[0]));
        await using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
        var client = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<DistStackClient>(provider);
        Assert.Equal(7, await client.PushAsync("s", "v"));
        Assert.Equal("/v1/stacks/s/items", Assert.Single(nodes.Requests).Path);
    }

    [Fact]
    public async Task Two_writes_get_two_keys()
    {
        await using var nodes = await ScriptedNodes.StartAsync(1, (_, _, context) => ScriptedNodes.Json(context, Pushed));
        using var client = ClientFor(nodes);
        await client.PushAsync("s", "a");
        await client.PushAsync("s", "a");
        var keys = nodes.Requests.Select(r => r.Key).ToList();
        Assert.Equal(2, keys.Distinct().Count());
    }

    [Fact]
    public async Task A_504_and_a_dropped_connection_are_retried_with_the_same_key_until_an_answer()
    {
        await using var nodes = await ScriptedNodes.StartAsync(2, (_, ordinal, context) => ordinal switch
        {
            0 => ScriptedNodes.Problem(context, 504),
            1 => ScriptedNodes.Drop(context),
            _ => ScriptedNodes.Json(context, Pushed),
        });
        using var client = ClientFor(nodes);

        Assert.Equal(7, await client.PushAsync("s", "v"));
        var seen = nodes.Requests.ToList();
        Assert.Equal(3, seen.Count);
        Assert.Single(seen.Select(r => r.Key).Distinct());
    }

    [Fact]
    public async Task A_503_after_a_504_leaves_the_outcome_unknown_at_the_deadline_with_the_key()
    {
        await using var nodes = await ScriptedNodes.StartAsync(2, (_, ordinal, context) =>
            ordinal == 0 ? ScriptedNodes.Problem(context, 504) : ScriptedNodes.Problem(context, 503, "0"));
        using var client = ClientFor(nodes, deadline: TimeSpan.FromSeconds(4));

        var unknown = await Assert.ThrowsAsync<OutcomeUnknownException>(() => client.PushAsync("s", "v"));

        var seen = nodes.Requests.ToList();
        Assert.True(seen.Count >= 2, "the 504 and at least one 503 after it");
        Assert.All(seen, r => Assert.Equal(unknown.IdempotencyKey, r.Key));
    }

    [Fact]
    public async Task Only_503s_until_the_deadline_mean_nothing_happened()
    {
        // Retry-After: 1 s on both nodes, a 1.5 s deadline: it passes while the client waits, with no attempt in flight
        // (a write interrupted in flight would rightly be "unknown").
        await using var nodes = await ScriptedNodes.StartAsync(2, (_, _, context) => ScriptedNodes.Problem(context, 503, "1"));
        using var client = ClientFor(nodes, deadline: TimeSpan.FromSeconds(1.5));
        var down = await Assert.ThrowsAsync<DistStackUnavailableException>(() => client.PushAsync("s", "v"));
        Assert.Contains("Nothing was applied", down.Message);
        Assert.Equal(4, nodes.Requests.Count); // both nodes at once, then both again after their Retry-After
    }

    [Fact]
    public async Task An_attempt_that_hangs_is_abandoned_and_retried_elsewhere_with_the_same_key()
    {
        await using var nodes = await ScriptedNodes.StartAsync(2, async (node, _, context) =>
        {
            if (node == 0) await Task.Delay(Timeout.Infinite, context.RequestAborted);
            else await ScriptedNodes.Json(context, Pushed);
        });
        var options = new DistStackClientOptions { AttemptTimeout = TimeSpan.FromMilliseconds(300) };
        options.Nodes.Add(nodes.Urls[0]);
        options.Nodes.Add(nodes.Urls[1]);
        using var client = new DistStackClient(options);

        for (var i = 0; i < 4; i++) Assert.Equal(7, await client.PushAsync("s", "v")); // whichever node it starts on
        Assert.All(nodes.Requests.GroupBy(r => r.Key), attempts => Assert.Contains(attempts, r => r.Node == 1));
    }

    [Theory]
    [InlineData(404, typeof(StackNotFoundException))]
    [InlineData(409, typeof(StackEmptyException))]
    [InlineData(400, typeof(DistStackBadRequestException))]
    [InlineData(422, typeof(DistStackBadRequestException))]
    [InlineData(413, typeof(DistStackBadRequestException))]
    public async Task A_definite_refusal_is_thrown_typed_after_one_attempt(int status, Type exception)
    {
        await using var nodes = await ScriptedNodes.StartAsync(2, (_, _, context) => ScriptedNodes.Problem(context, status));
        using var client = ClientFor(nodes);
        var thrown = await Assert.ThrowsAnyAsync<DistStackException>(() => client.PopAsync("s"));
        Assert.IsType(exception, thrown);
        Assert.Single(nodes.Requests);
    }

    [Fact]
    public async Task Every_node_unreachable_is_a_clear_exception_within_the_deadline()
    {
        // Not a multiple of the 0.5 s an unreachable node rests, so the deadline falls between attempts.
        var options = new DistStackClientOptions { Deadline = TimeSpan.FromSeconds(2.25) };
        foreach (var port in TestPorts.Take(3)) options.Nodes.Add(new Uri($"http://127.0.0.1:{port}"));
        using var client = new DistStackClient(options);

        var clock = Stopwatch.StartNew();
        var down = await Assert.ThrowsAsync<DistStackUnavailableException>(() => client.PushAsync("s", "v"));
        Assert.Contains("Nothing was applied", down.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}"); // the deadline, not a hang
    }

    [Fact]
    public async Task A_deadline_that_passes_while_still_connecting_means_nothing_was_applied()
    {
        // A listener that never accepts, its backlog filled: the client's connection attempt hangs in the handshake
        // until the deadline, so the request never left the client.
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,
            System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen(0);
        var endpoint = (System.Net.IPEndPoint)listener.LocalEndPoint!;
        var fillers = new List<System.Net.Sockets.Socket>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var filler = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork,
                    System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                fillers.Add(filler);
                // The first ones complete into the backlog; later ones hang like the client's will.
                _ = filler.ConnectAsync(endpoint);
            }
            var options = new DistStackClientOptions { Deadline = TimeSpan.FromSeconds(1.5), AttemptTimeout = TimeSpan.FromSeconds(10) };
            options.Nodes.Add(new Uri($"http://127.0.0.1:{endpoint.Port}"));
            using var client = new DistStackClient(options);

            var down = await Assert.ThrowsAsync<DistStackUnavailableException>(() => client.PushAsync("s", "v"));
            Assert.Contains("Nothing was applied", down.Message);
        }
        finally
        {
            foreach (var filler in fillers) filler.Dispose();
        }
    }

    [Fact]
    public async Task A_write_without_a_body_that_reached_a_node_which_never_answers_may_have_applied()
    {
        // The counterpart: a request that left the client (a delete has no body) is "unknown" at the deadline.
        await using var nodes = await ScriptedNodes.StartAsync(1, async (_, _, context) => await Task.Delay(Timeout.Infinite, context.RequestAborted));
        using var client = ClientFor(nodes, deadline: TimeSpan.FromSeconds(1));

        var unknown = await Assert.ThrowsAsync<OutcomeUnknownException>(() => client.DeleteAsync("s"));
        Assert.Equal(unknown.IdempotencyKey, Assert.Single(nodes.Requests).Key);
    }

    [Fact]
    public async Task Cancellation_stops_the_operation_and_is_not_reported_as_the_cluster_failing()
    {
        await using var nodes = await ScriptedNodes.StartAsync(1, (_, _, context) => ScriptedNodes.Problem(context, 503, "0"));
        using var client = ClientFor(nodes);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.PushAsync("s", "v", cancel.Token));
    }

    [Fact]
    public async Task One_attempt_at_a_time_never_two_copies_of_a_write_in_flight()
    {
        await using var nodes = await ScriptedNodes.StartAsync(3, async (_, ordinal, context) =>
        {
            await Task.Delay(50);
            await (ordinal < 5 ? ScriptedNodes.Problem(context, 504) : ScriptedNodes.Json(context, Pushed));
        });
        using var client = ClientFor(nodes);
        await client.PushAsync("s", "v");
        Assert.Equal(6, nodes.Requests.Count);
        Assert.Equal(1, nodes.MaxInFlight);
    }
}
