using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Processes;

/// <summary>
/// A lost disk, replaced by the documented procedure with real processes under a steady write load: SIGKILL a node,
/// delete its whole data directory, remove it (<c>DELETE /{id}</c>), start it again with <c>--join</c> (same id and
/// address), add it back (<c>POST /{id}</c> with its Raft URL). It must come back as a voter holding every acknowledged
/// write, while the other four keep serving writes; first for a follower, then for the leader.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ReplaceWipedNodeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StepDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Snapshots every few dozen entries, so that the wiped node can only catch up from a snapshot.</summary>
    private const int SnapshotEveryEntries = 25;

    /// <summary>Writes that must be acknowledged during each step, to show the others kept serving.</summary>
    private const int WritesPerStep = 10;

    private readonly string _configFile = Path.Combine(Path.GetTempPath(), $"diststack-replace-{Guid.NewGuid():N}.conf");
    private readonly ConcurrentBag<string> _acknowledged = [];
    private readonly ConcurrentQueue<string> _failed = new();
    private ProcessCluster _cluster = null!;
    private bool _passed;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(_configFile, $"diststack.snapshot.every-entries = {SnapshotEveryEntries}\n");
        _cluster = ProcessCluster.Start(5, new ProcessClusterOptions { Log = Log, ExtraArguments = _ => ["--config", _configFile] });
        await _cluster.WaitForLeaderAsync(StartupDeadline);
    }

    public async Task DisposeAsync()
    {
        _cluster.KeepData = !_passed;
        await _cluster.DisposeAsync();
        File.Delete(_configFile);
    }

    [Fact]
    public async Task A_wiped_follower_then_the_wiped_leader_come_back_as_voters_holding_every_acknowledged_write()
    {
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() => WriteUntil(stop.Token));

        var leader = await _cluster.WaitForLeaderAsync(StepDeadline);
        await ReplaceAsync(_cluster.Nodes.First(n => n != leader), "follower");
        await ReplaceAsync(await _cluster.WaitForLeaderAsync(StepDeadline), "leader");

        await stop.CancelAsync();
        await writer;
        Assert.True(_failed.IsEmpty, $"{_failed.Count} writes failed (a definite refusal or no answer within a minute): " +
            string.Join("; ", _failed.Take(5)));
        var converged = await _cluster.WaitForConvergenceAsync(StepDeadline);
        Assert.Equal(5, converged.Count);
        foreach (var node in _cluster.Nodes)
        {
            var stacks = await _cluster.StackIdsAsync(node, AttemptTimeout, StepDeadline);
            var missing = _acknowledged.Where(id => !stacks.Contains(id)).ToList();
            Assert.True(missing.Count == 0, $"node {node.Id} lacks {missing.Count} of {_acknowledged.Count} acknowledged writes: " +
                string.Join(",", missing.Take(5)));
        }

        var members = await _cluster.MembersAsync(await _cluster.WaitForLeaderAsync(StepDeadline));
        Assert.Equal([(1, "voter"), (2, "voter"), (3, "voter"), (4, "voter"), (5, "voter")], members.Select(m => (m.Id, m.Role)).Order());
        Log($"{_acknowledged.Count} acknowledged writes on all five nodes; five voters");
        _passed = true;
    }

    private async Task ReplaceAsync(NodeProcess victim, string what)
    {
        var steps = Stopwatch.StartNew();
        string Took() => $"{steps.ElapsedMilliseconds} ms";

        // Enough entries since the start (or the previous replacement) that the leader's log is compacted.
        await WritesAcknowledgedAsync(2 * SnapshotEveryEntries, $"before the {what} is lost");
        await victim.KillAsync();
        victim.WipeDataDirectory();
        Log($"{what} node {victim.Id} killed and its data dir deleted");
        await WritesAcknowledgedAsync(WritesPerStep, $"while the {what} node {victim.Id} is down");

        var removed = await ChangeUntilDefiniteAsync(HttpMethod.Delete, $"/{victim.Id}", null);
        Assert.True(removed.Status == 200, $"DELETE /{victim.Id}: {removed}");
        var four = await _cluster.MembersAsync(await _cluster.WaitForLeaderAsync(StepDeadline));
        Assert.Equal(4, four.Count(m => m.Role == "voter"));
        Assert.DoesNotContain(four, m => m.Id == victim.Id);
        Log($"node {victim.Id} removed ({Took()})");

        victim.Start();
        var added = await ChangeUntilDefiniteAsync(HttpMethod.Post, $"/{victim.Id}", victim.RaftUrl);
        Assert.True(added.Status == 200, $"POST /{victim.Id} {victim.RaftUrl}: {added}");
        Log($"node {victim.Id} started with --join and added ({Took()})");

        Assert.True(await ProcessCluster.EventuallyAsync(async () => await _cluster.RoleOfAsync(victim.Id, AttemptTimeout) == "voter", StepDeadline),
            $"node {victim.Id} was not promoted to voter again.\n{_cluster.DescribeLogs()}");
        DistStack.Host.Http.ClusterStatusDocument? status = null;
        await ProcessCluster.EventuallyAsync(async () => (status = await _cluster.StatusAsync(victim)) is { Membership: "voter" }, StepDeadline);
        // It holds state from before its wipe: a snapshot (the leader's log is compacted every few dozen entries).
        Assert.True(status is { Membership: "voter", SnapshotIndex: > 0 },
            $"node {victim.Id} is not a voter holding a snapshot: membership {status?.Membership}, snapshot {status?.SnapshotIndex}");
        Log($"node {victim.Id} is a voter again at applied index {status!.AppliedIndex} ({Took()})");
        await WritesAcknowledgedAsync(WritesPerStep, $"after the {what} node {victim.Id} came back");
    }

    private async Task WritesAcknowledgedAsync(int more, string when)
    {
        var target = _acknowledged.Count + more;
        Assert.True(await ProcessCluster.EventuallyAsync(() => Task.FromResult(_acknowledged.Count >= target), StepDeadline),
            $"fewer than {more} writes acknowledged {when} ({_acknowledged.Count} in all; failed: {string.Join("; ", _failed.Take(3))})");
    }

    /// <summary>
    /// A change sent to a random serving node (a follower forwards it to the leader) until a definite answer. A 409
    /// "not committed yet" is retried too: the automatic promotion of the previous replacement may still be in flight.
    /// </summary>
    private async Task<HttpAnswer> ChangeUntilDefiniteAsync(HttpMethod method, string path, string? body)
    {
        var deadline = Stopwatch.StartNew();
        HttpAnswer? last = null;
        while (deadline.Elapsed < StepDeadline)
        {
            var serving = _cluster.Serving.ToList();
            var node = serving[Random.Shared.Next(serving.Count)];
            last = await _cluster.SendAsync(node, method, path, body is null ? null : Encoding.UTF8.GetBytes(body), timeout: TimeSpan.FromSeconds(10));
            if (last is { IsDefinite: true } && !(last.Status == 409 && last.Body.Contains("not committed yet"))) return last;
            Log($"{method} {path} on node {node.Id}: {last?.ToString() ?? "no answer"}; retrying");
            await Task.Delay(200);
        }
        throw new TimeoutException($"{method} {path}: no definite answer; last {last}.\n{_cluster.DescribeLogs()}");
    }

    /// <summary>Creates uniquely named stacks one after another, each retried with its key until definite.</summary>
    private async Task WriteUntil(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var id = $"r{Guid.NewGuid():N}"[..12];
            var serving = _cluster.Serving.ToList();
            try
            {
                var (answer, _) = await _cluster.PostUntilDefiniteAsync("/sCreate", id, idempotencyKey: id, StepDeadline,
                    preferred: serving[Random.Shared.Next(serving.Count)], attemptTimeout: AttemptTimeout);
                if (answer.Status is 200 or 201) _acknowledged.Add(id);
                else _failed.Enqueue($"{id}: {answer}");
            }
            catch (TimeoutException e)
            {
                _failed.Enqueue($"{id}: {e.Message}");
            }
            try { await Task.Delay(20, stop); }
            catch (OperationCanceledException) { }
        }
    }

    private void Log(string line)
    {
        try { output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}"); }
        catch (InvalidOperationException) { }
    }
}
