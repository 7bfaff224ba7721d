using System.Diagnostics;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Processes;

/// <summary>
/// Five real DistStack.Host processes, each with its journal and snapshots in its own database of one real
/// PostgreSQL server, configured exactly as an operator would: a --config file with the diststack.persistence
/// section. Acknowledged writes survive a SIGKILLed leader, and the restarted node catches up from its database.
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
        var configFiles = Enumerable.Range(1, 5).ToDictionary(id => id, id =>
        {
            var path = Path.Combine(_configDirectory, $"node-{id}.conf");
            File.WriteAllText(path, PostgresPersistenceConfig.Hocon(_postgres.CreateDatabase($"node{id}")));
            return path;
        });
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
}
