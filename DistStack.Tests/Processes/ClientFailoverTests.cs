using System.Collections.Concurrent;
using System.Diagnostics;
using DistStack.Client;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Processes;

/// <summary>
/// DistStack.Client against five real processes whose leader is SIGKILLed under load: the caller never sees an
/// exception, no push applies twice and no pop is lost or answered twice. One cluster for the whole run (five
/// processes start in about 15 s on two cores): pushes through two leader kills, one killed node back, then pops
/// through a third.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ElectionDeadline = TimeSpan.FromSeconds(30);
    private const int Values = 10_000;
    // Many writers in flight let the leader group-commit them: 10,000 pushes take about half as long as with 16.
    private const int Workers = 48;

    private ProcessCluster _cluster = null!;
    private bool _passed;

    public async Task InitializeAsync()
    {
        _cluster = ProcessCluster.Start(5, new ProcessClusterOptions { Log = Log });
        await _cluster.WaitForLeaderAsync(StartupDeadline);
    }

    public async Task DisposeAsync()
    {
        _cluster.KeepData = !_passed;
        await _cluster.DisposeAsync();
    }

    private void Log(string line)
    {
        try { output.WriteLine(line); }
        catch (InvalidOperationException) { } // no test running any more (disposal)
    }

    private DistStackClient NewClient()
    {
        // A short attempt timeout: a request to a leader that just died is given up on quickly and retried elsewhere.
        var options = new DistStackClientOptions { Deadline = TimeSpan.FromSeconds(60), AttemptTimeout = TimeSpan.FromSeconds(2) };
        foreach (var node in _cluster.Nodes) options.Nodes.Add(node.HttpUrl);
        return new DistStackClient(options);
    }

    private async Task<NodeProcess> KillLeaderAsync(string when)
    {
        var leader = await _cluster.WaitForLeaderAsync(ElectionDeadline);
        Log($"{when}: SIGKILL leader {leader}");
        await leader.KillAsync();
        return leader;
    }

    [Fact]
    public async Task Ten_thousand_pushes_through_two_leader_kills_then_pops_through_a_third_each_value_exactly_once()
    {
        using var client = NewClient();
        const string stack = "failover";
        Assert.True(await client.CreateAsync(stack));

        // Pushes: the workers take the next value number; the leader dies at 2,500 and at 6,000 acknowledged pushes.
        var clock = Stopwatch.StartNew();
        var next = -1;
        var acknowledged = 0;
        var firstKill = new TaskCompletionSource();
        var secondKill = new TaskCompletionSource();
        var pushers = Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < Values)
            {
                await client.PushAsync(stack, $"v{n:D5}");
                var done = Interlocked.Increment(ref acknowledged);
                if (done == 2_500) firstKill.TrySetResult();
                if (done == 6_000) secondKill.TrySetResult();
            }
        })).ToList();
        await firstKill.Task.WaitAsync(TimeSpan.FromMinutes(2));
        var killed1 = await KillLeaderAsync($"after {Volatile.Read(ref acknowledged)} pushes");
        await secondKill.Task.WaitAsync(TimeSpan.FromMinutes(2));
        await KillLeaderAsync($"after {Volatile.Read(ref acknowledged)} pushes");
        await Task.WhenAll(pushers); // any exception a caller saw fails the test here
        Log($"{Values} pushes acknowledged in {clock.ElapsedMilliseconds} ms through two leader kills");

        Assert.Equal(Values, await client.SizeAsync(stack));

        // The first killed node comes back with its data (four of five up, so a third kill keeps a majority); then
        // pops, 8 workers of 1 to 50 values, through a third kill.
        killed1.Start();
        await _cluster.WaitForConvergenceAsync(StartupDeadline);
        var popped = new ConcurrentBag<string>();
        var pops = 0;
        var thirdKill = new TaskCompletionSource();
        var poppers = Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            while (true)
            {
                IReadOnlyList<string> values;
                try
                {
                    values = worker % 2 == 0 ? [await client.PopAsync(stack)] : await client.PopManyAsync(stack, 1 + worker * 7);
                }
                catch (StackEmptyException)
                {
                    return;
                }
                foreach (var value in values) popped.Add(value);
                if (Interlocked.Increment(ref pops) == 300) thirdKill.TrySetResult();
            }
        })).ToList();
        await thirdKill.Task.WaitAsync(TimeSpan.FromMinutes(2));
        await KillLeaderAsync($"after {Volatile.Read(ref pops)} pops");
        await Task.WhenAll(poppers);

        var counts = popped.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
        var twice = counts.Where(c => c.Value > 1).Select(c => c.Key).Take(10).ToList();
        var missing = Enumerable.Range(0, Values).Select(n => $"v{n:D5}").Where(v => !counts.ContainsKey(v)).Take(10).ToList();
        Assert.True(twice.Count == 0, $"popped more than once: {string.Join(", ", twice)}");
        Assert.True(missing.Count == 0, $"never popped: {string.Join(", ", missing)}");
        Assert.Equal(Values, popped.Count);
        Assert.Equal(0, await client.SizeAsync(stack));
        Log($"all {Values} values popped exactly once in {pops} pops; total {clock.ElapsedMilliseconds} ms");

        // Cancelled before it starts: nothing sent, nothing applied.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.PushAsync(stack, "cancelled", new CancellationToken(true)));
        Assert.Equal(0, await client.SizeAsync(stack));

        // Every node down: a clear exception, saying nothing was applied, once the deadline has passed.
        foreach (var node in _cluster.Nodes) await node.KillAsync();
        // An unreachable node rests 0.5 s between attempts: a deadline on a multiple of that would fall on an attempt
        // in flight, which the client rightly reports as "unknown" (it cannot tell a connect from a sent request).
        var options = new DistStackClientOptions { Deadline = TimeSpan.FromSeconds(3.25) };
        foreach (var node in _cluster.Nodes) options.Nodes.Add(node.HttpUrl);
        using var late = new DistStackClient(options);
        var down = Stopwatch.StartNew();
        var unavailable = await Assert.ThrowsAsync<DistStackUnavailableException>(() => late.PushAsync(stack, "nobody-home"));
        Assert.Contains("Nothing was applied", unavailable.Message);
        Assert.True(down.Elapsed < TimeSpan.FromSeconds(15), $"took {down.Elapsed}"); // the deadline, not a hang
        _passed = true;
    }
}
