using System.Diagnostics;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Processes;

/// <summary>
/// Five real DistStack.Host processes, each with its journal and snapshots in its own database of one real
/// PostgreSQL server, configured exactly as an operator would: a --config file with the diststack.persistence
/// section. Acknowledged writes survive a SIGKILLed leader, and the restarted node catches up from its database;
/// they also survive a crash of the PostgreSQL server itself under load, and the cluster serves again once it is back.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PostgresFiveNodeClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ElectionDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);

    private PostgresServer? _postgres;
    private ProcessCluster? _cluster;
    private string? _configDirectory;
    private bool _passed;

    private ProcessCluster Cluster => _cluster!;

    // Started by the test, not here: a skipped test (no PostgreSQL on this machine) must not start anything.
    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync()
    {
        _postgres = PostgresServer.Start();
        Log($"started {_postgres}");
        _configDirectory = NodeSpecContextTempDirectory();
        var configFiles = _postgres.WriteNodeConfigs(5, _configDirectory);
        _cluster = ProcessCluster.Start(5, new ProcessClusterOptions
        {
            Log = Log,
            ExtraArguments = id => ["--config", configFiles[id]],
        });
        await Cluster.WaitForLeaderAsync(StartupDeadline);
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            _cluster.KeepData = !_passed;
            await _cluster.DisposeAsync();
        }
        _postgres?.Dispose();
        if (_configDirectory is not null) Directory.Delete(_configDirectory, recursive: true);
    }

    private static string NodeSpecContextTempDirectory() => NodeActors.NodeSpecContext.TempDirectory();

    private void Log(string line)
    {
        try
        {
            output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // no test is running any more (disposal)
        }
    }

    private async Task<HttpAnswer> PostAnywhere(string path, string body, string key) =>
        (await Cluster.PostUntilDefiniteAsync(path, body, key, RequestDeadline, attemptTimeout: AttemptTimeout)).Answer;

    private async Task<HttpAnswer> ReadOn(NodeProcess node, string path, string body)
    {
        HttpAnswer? answer = null;
        await ProcessCluster.EventuallyAsync(async () =>
            (answer = await Cluster.PostAsync(node, path, body, timeout: AttemptTimeout)) is { IsDefinite: true }, RequestDeadline);
        return answer ?? throw new InvalidOperationException($"{node} did not answer POST {path}");
    }

    [PostgresFact]
    public async Task A_SIGKILLed_leader_restarts_from_its_PostgreSQL_database_and_nothing_acknowledged_is_lost()
    {
        await StartAsync();
        var leader = await Cluster.WaitForLeaderAsync(ElectionDeadline);
        Assert.Equal(201, (await PostAnywhere("/sCreate", "s", "create-s")).Status);

        var acknowledged = new List<int>();
        async Task PushAsync(int value)
        {
            var answer = await PostAnywhere("/sPush", $"s,{value}", $"push-{value}");
            Assert.Equal($"200 {acknowledged.Count + 1}", answer.ToString()); // exactly once, in order
            acknowledged.Add(value);
        }

        var next = 0;
        for (; next < 20; next++) await PushAsync(next);

        var clock = Stopwatch.StartNew();
        await leader.KillAsync();
        Log($"SIGKILLed leader {leader}");
        for (var end = next + 20; next < end; next++) await PushAsync(next);
        var newLeader = await Cluster.WaitForNewLeaderAsync(leader, ElectionDeadline);
        Log($"new leader {newLeader}; 20 pushes acknowledged {clock.ElapsedMilliseconds} ms after the kill");

        leader.Start();
        var converged = await Cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(5, converged.Count);
        Assert.Single(converged.Values.Select(s => s.StateDigest).Distinct());
        Log($"restarted {leader} caught up {clock.ElapsedMilliseconds} ms after the kill");

        // Every acknowledged push is on every node, the restarted one included, in order.
        foreach (var node in Cluster.Nodes)
            Assert.Equal($"200 {acknowledged.Count}", (await ReadOn(node, "/sSize", "s")).ToString());
        for (var i = acknowledged.Count - 1; i >= 0; i--)
            Assert.Equal($"200 {acknowledged[i]}", (await PostAnywhere("/sPop", "s", $"pop-{i}")).ToString());
        _passed = true;
    }

    [PostgresFact]
    public async Task Killing_the_PostgreSQL_server_under_load_loses_no_acknowledged_push_and_the_cluster_recovers()
    {
        await StartAsync();
        var clock = Stopwatch.StartNew();
        var writers = Enumerable.Range(1, 3).Select(i => new Writer(this, $"w{i}", clock)).ToList();
        foreach (var writer in writers) Assert.Equal(201, (await PostAnywhere("/sCreate", writer.Stack, $"create-{writer.Stack}")).Status);
        using var stop = new CancellationTokenSource();
        var load = writers.Select(w => w.RunAsync(stop.Token)).ToList();

        await AwaitEveryWriter(writers, 10, "10 acknowledged pushes each before the crash");
        var beforeCrash = writers.Sum(w => w.Acknowledged.Count);
        var crashedAt = clock.Elapsed;
        _postgres!.Kill();
        Log($"SIGKILLed PostgreSQL (postmaster and backends) with {beforeCrash} pushes acknowledged");

        // The outage itself is the scenario: the writers keep trying (same key per push) for this long.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var duringOutage = writers.Sum(w => w.Acknowledged.Count) - beforeCrash;
        _postgres.Restart();
        var restartedAt = clock.Elapsed;
        Log($"PostgreSQL restarted {(restartedAt - crashedAt).TotalMilliseconds:0} ms after the crash; {duringOutage} pushes acknowledged meanwhile (in flight at the crash)");

        await AwaitEveryWriter(writers, writers.Max(w => w.Acknowledged.Count) + 10, "10 more acknowledged pushes each after the restart");
        Log($"PG OUTAGE: restart -> every writer 10 pushes further {(clock.Elapsed - restartedAt).TotalMilliseconds:0} ms; " +
            $"first push acknowledged after the restart {(writers.Min(w => w.FirstAcknowledgedAfter(restartedAt)) - restartedAt).TotalMilliseconds:0} ms after it");
        await stop.CancelAsync();
        await Task.WhenAll(load);

        var converged = await Cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(5, converged.Count);
        Assert.Single(converged.Values.Select(s => s.StateDigest).Distinct());
        foreach (var writer in writers)
        {
            // Exactly the acknowledged pushes, in order: each answer's size was checked as it came, and the stack ends there.
            Assert.Equal($"200 {writer.Acknowledged.Count}", (await ReadOn(Cluster.Node(1), "/sSize", writer.Stack)).ToString());
            for (var i = writer.Acknowledged.Count - 1; i >= 0; i--)
                Assert.Equal($"200 {writer.Acknowledged[i].Value}", (await PostAnywhere("/sPop", writer.Stack, $"pop-{writer.Stack}-{i}")).ToString());
        }
        _passed = true;
    }

    private async Task AwaitEveryWriter(IReadOnlyList<Writer> writers, int acknowledged, string what)
    {
        var reached = await ProcessCluster.EventuallyAsync(
            () => Task.FromResult(writers.All(w => w.Acknowledged.Count >= acknowledged || w.Failure is not null)), TimeSpan.FromSeconds(90));
        foreach (var writer in writers)
            if (writer.Failure is not null) throw new InvalidOperationException($"writer {writer.Stack} failed", writer.Failure);
        Assert.True(reached, $"timed out waiting for {what}: {string.Join(", ", writers.Select(w => $"{w.Stack}={w.Acknowledged.Count}"))}\n{Cluster.DescribeLogs(15)}");
    }

    /// <summary>
    /// One client pushing 0, 1, 2... onto its own stack, one at a time, retrying each push with the same
    /// Idempotency-Key until it gets a definite answer, as the README's contract asks of a client.
    /// </summary>
    private sealed class Writer(PostgresFiveNodeClusterTests test, string stack, Stopwatch clock)
    {
        private readonly List<(int Value, TimeSpan At)> _acknowledged = [];

        public string Stack { get; } = stack;
        public Exception? Failure { get; private set; }

        public IReadOnlyList<(int Value, TimeSpan At)> Acknowledged
        {
            get
            {
                lock (_acknowledged) return [.. _acknowledged];
            }
        }

        public TimeSpan FirstAcknowledgedAfter(TimeSpan at) =>
            Acknowledged.Select(a => a.At).Where(t => t > at).DefaultIfEmpty(TimeSpan.MaxValue).Min();

        public async Task RunAsync(CancellationToken stop)
        {
            try
            {
                for (var value = 0; !stop.IsCancellationRequested; value++)
                {
                    var (answer, _) = await test.Cluster.PostUntilDefiniteAsync("/sPush", $"{Stack},{value}", $"push-{Stack}-{value}",
                        TimeSpan.FromSeconds(90), attemptTimeout: TimeSpan.FromSeconds(2));
                    Assert.Equal($"200 {Acknowledged.Count + 1}", answer.ToString()); // once, in order
                    lock (_acknowledged) _acknowledged.Add((value, clock.Elapsed));
                }
            }
            catch (Exception e)
            {
                Failure = e;
            }
        }
    }
}
