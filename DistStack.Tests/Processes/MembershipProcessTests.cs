using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Processes;

/// <summary>
/// Runtime membership with real processes, driven by raftexample's commands: three founders grow to five under a
/// light write load (POST /{id} with the new node's Raft URL, then start it with --join), every acknowledged write is
/// on all five, then the cluster shrinks back to three removing its leader among others and keeps serving. Bad
/// requests to every membership endpoint get their 4xx and change nothing. One cluster for the whole class.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MembershipProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ChangeDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Snapshots every few dozen entries, so that the nodes added later catch up from a snapshot.</summary>
    private const int SnapshotEveryEntries = 25;

    private readonly string _configFile = Path.Combine(Path.GetTempPath(), $"diststack-membership-{Guid.NewGuid():N}.conf");
    private ProcessCluster _cluster = null!;
    private bool _passed;

    public async Task InitializeAsync()
    {
        await File.WriteAllTextAsync(_configFile, $"diststack.snapshot.every-entries = {SnapshotEveryEntries}\n");
        _cluster = ProcessCluster.Create(5, new ProcessClusterOptions
        {
            Founders = 3, Log = Log, ExtraArguments = _ => ["--config", _configFile],
        });
        foreach (var id in new[] { 1, 2, 3 }) _cluster.Node(id).Start();
        await _cluster.WaitForLeaderAsync(StartupDeadline);
    }

    public async Task DisposeAsync()
    {
        _cluster.KeepData = !_passed;
        await _cluster.DisposeAsync();
        File.Delete(_configFile);
    }

    private void Log(string line)
    {
        try { output.WriteLine(line); }
        catch (InvalidOperationException) { }
    }

    private string RaftUrl(int id) => $"http://127.0.0.1:{_cluster.Node(id).RaftPort}";

    [Fact]
    public async Task Grows_from_three_to_five_under_load_then_shrinks_to_three_removing_its_leader_and_refuses_bad_requests()
    {
        var leader = await _cluster.WaitForLeaderAsync(StartupDeadline);
        var follower = _cluster.Nodes.Take(3).First(n => n != leader);

        await Bad_requests_get_their_4xx_and_change_nothing(leader, follower);

        using var stop = new CancellationTokenSource();
        var acknowledged = new ConcurrentBag<string>();
        var writer = Task.Run(() => WriteUntil(stop.Token, acknowledged));
        // Enough entries that the leader has compacted its log: the new nodes must catch up from a snapshot.
        Assert.True(await ProcessCluster.EventuallyAsync(() => Task.FromResult(acknowledged.Count >= 2 * SnapshotEveryEntries), ChangeDeadline),
            $"only {acknowledged.Count} writes acknowledged");

        // raftexample: curl -L http://127.0.0.1:12380/4 -XPOST -d http://127.0.0.1:42379, then start node 4 with --join.
        // Node 5 is started before it is added: with --join it waits, takes no part, and says so. (Not node 4: the leader
        // still replicates to the learner 4 it removed above until that node learns of its removal, so a node 4
        // started now would hear the cluster at once, learn it was removed, and wait to be added again.)
        _cluster.Node(5).Start();
        Assert.True(await ProcessCluster.EventuallyAsync(async () =>
            (await _cluster.StatusAsync(_cluster.Node(5)))?.Membership == "joining", ChangeDeadline), "node 5 does not say it is joining");
        foreach (var id in new[] { 4, 5 })
        {
            leader = await _cluster.WaitForLeaderAsync(ChangeDeadline);
            // Node 5 is added through a follower, which forwards the change to the leader.
            var added = id == 5
                ? await _cluster.SendAsync(_cluster.Nodes.Take(4).First(n => n != leader), HttpMethod.Post, $"/{id}", Encoding.UTF8.GetBytes(RaftUrl(id)))
                : await ChangeUntilDefinite(HttpMethod.Post, $"/{id}", RaftUrl(id));
            Assert.True(added?.Status == 200, $"POST /{id}: {added}");
            if (!_cluster.Node(id).IsRunning) _cluster.Node(id).Start();
            Assert.True(await ProcessCluster.EventuallyAsync(async () => await _cluster.RoleOfAsync(id, AttemptTimeout) == "voter", ChangeDeadline),
                $"node {id} was not promoted to voter.\n{_cluster.DescribeLogs()}");
            // The leader counts it a voter once the promotion commits; the node itself says so once it has the entry.
            DistStack.Host.Http.ClusterStatusDocument? joined = null;
            await ProcessCluster.EventuallyAsync(async () =>
                (joined = await _cluster.StatusAsync(_cluster.Node(id))) is { Membership: "voter" }, ChangeDeadline);
            Assert.True(joined is { Membership: "voter", SnapshotIndex: > 0 }, $"node {id} did not catch up from a snapshot: " +
                $"membership {joined?.Membership}, snapshot index {joined?.SnapshotIndex}");
            Assert.Contains("installed", _cluster.Node(id).ReadLog(), StringComparison.OrdinalIgnoreCase);
            // A retry of the same command (after a 504, say) finds its target state: 200, not 409.
            Assert.Equal(200, (await ChangeUntilDefinite(HttpMethod.Post, $"/{id}", RaftUrl(id))).Status);
            Log($"node {id} is a voter; {acknowledged.Count} writes acknowledged so far");
        }
        await Task.Delay(TimeSpan.FromSeconds(1)); // writes while five voters commit
        await AllAcknowledgedWritesAreOnEveryServingNode(stop, writer, acknowledged, expectedNodes: 5);

        // Shrink to three: the leader removes itself (commits, hands over, steps down), then one more member goes.
        using var stopAgain = new CancellationTokenSource();
        var moreAcknowledged = new ConcurrentBag<string>();
        var secondWriter = Task.Run(() => WriteUntil(stopAgain.Token, moreAcknowledged));
        var oldLeader = await _cluster.WaitForLeaderAsync(ChangeDeadline);
        var removed = await ChangeUntilDefinite(HttpMethod.Delete, $"/{oldLeader.Id}", null);
        Assert.True(removed.Status == 200, $"DELETE /{oldLeader.Id}: {removed}");
        Assert.True(await ProcessCluster.EventuallyAsync(async () =>
                (await _cluster.StatusAsync(oldLeader))?.Membership == "removed", ChangeDeadline),
            $"node {oldLeader.Id} does not say it was removed.\n{_cluster.DescribeLogs()}");
        // Akka's logger and the harness's copy of stdout are asynchronous: the line may follow the status by a moment.
        Assert.True(await ProcessCluster.EventuallyAsync(() => Task.FromResult(oldLeader.ReadLog().Contains("removed")), ChangeDeadline),
            $"node {oldLeader.Id} does not log that it was removed");
        oldLeader.Terminate();
        await oldLeader.WaitForExitAsync(TimeSpan.FromSeconds(20));

        var newLeader = await _cluster.WaitForLeaderAsync(ChangeDeadline);
        Assert.NotEqual(oldLeader, newLeader);
        var next = _cluster.Serving.First(n => n != newLeader);
        var json = await ChangeUntilDefinite(HttpMethod.Delete, $"/cluster/members/{next.Id}", null);
        Assert.True(json.Status == 200, $"DELETE /cluster/members/{next.Id}: {json}");
        Assert.True(await ProcessCluster.EventuallyAsync(async () =>
            (await _cluster.StatusAsync(next))?.Membership == "removed", ChangeDeadline), $"node {next.Id} does not say it was removed");
        // A client still talking to it learns why at once (503, nothing applied), rather than waiting for a leader
        // that will never replicate to it again.
        Assert.True(await ProcessCluster.EventuallyAsync(async () =>
                await _cluster.PostAsync(next, "/sSize", "1") is { Status: 503 } answer && answer.Body.Contains("was removed from the cluster"),
                ChangeDeadline),
            $"node {next.Id} does not tell clients it was removed");
        next.Terminate();
        await next.WaitForExitAsync(TimeSpan.FromSeconds(20));

        var members = await _cluster.MembersAsync(await _cluster.WaitForLeaderAsync(ChangeDeadline));
        Assert.Equal(3, members.Count);
        Assert.All(members, m => Assert.Equal("voter", m.Role));
        Assert.DoesNotContain(members, m => m.Id == oldLeader.Id || m.Id == next.Id);

        await Task.Delay(TimeSpan.FromSeconds(1)); // writes while three voters commit
        await AllAcknowledgedWritesAreOnEveryServingNode(stopAgain, secondWriter, moreAcknowledged, expectedNodes: 3);
        foreach (var id in acknowledged) moreAcknowledged.Add(id);
        await AllAcknowledgedWritesAreOnEveryServingNode(null, null, moreAcknowledged, expectedNodes: 3);
        _passed = true;
    }

    private async Task Bad_requests_get_their_4xx_and_change_nothing(NodeProcess leader, NodeProcess follower)
    {
        var before = await _cluster.MembersAsync(leader);
        (HttpMethod Method, string Path, string? Body, int Status)[] cases =
        [
            (HttpMethod.Post, "/0", RaftUrl(4), 400),
            (HttpMethod.Post, "/-4", RaftUrl(4), 400),
            (HttpMethod.Post, "/99999999999", RaftUrl(4), 400),
            (HttpMethod.Post, "/4", "", 400),
            (HttpMethod.Post, "/4", "not a url", 400),
            (HttpMethod.Post, "/4", "ftp://127.0.0.1:1", 400),
            (HttpMethod.Post, "/4", "http://127.0.0.1:99999", 400),
            (HttpMethod.Post, "/4", new string('x', 5000), 413),
            (HttpMethod.Post, "/4", RaftUrl(2), 409), // another member's address
            (HttpMethod.Post, "/2", "http://127.0.0.1:1", 409), // a member at another address
            (HttpMethod.Get, "/4", null, 405),
            (HttpMethod.Delete, "/0", null, 400),
            (HttpMethod.Post, "/cluster/members", "{bad json", 400),
            (HttpMethod.Post, "/cluster/members", "[4]", 400),
            (HttpMethod.Post, "/cluster/members", "{\"id\": 4}", 400),
            (HttpMethod.Post, "/cluster/members", "{\"id\": \"4\", \"address\": \"127.0.0.1:1\"}", 400),
            (HttpMethod.Post, "/cluster/members", "{\"id\": 0, \"address\": \"127.0.0.1:1\"}", 400),
            (HttpMethod.Post, "/cluster/members", "{\"id\": 4, \"address\": \"127.0.0.1:1\", \"voter\": true}", 400),
            (HttpMethod.Post, "/cluster/members", "{\"id\": 4, \"address\": \"no port\"}", 400),
            (HttpMethod.Put, "/cluster/members", "{}", 405),
            (HttpMethod.Post, "/cluster/members/abc/promote", null, 400),
            (HttpMethod.Post, "/cluster/members/9/promote", null, 404),
            (HttpMethod.Post, "/cluster/members/2/promote", null, 200), // already a voter: the target state holds
            (HttpMethod.Get, "/cluster/members/4/promote", null, 405),
            (HttpMethod.Delete, "/cluster/members/x", null, 400),
            (HttpMethod.Get, "/cluster/members/4", null, 405),
        ];
        foreach (var (method, path, body, status) in cases)
        {
            var answer = await _cluster.SendAsync(leader, method, path, body is null ? null : Encoding.UTF8.GetBytes(body));
            Assert.True(answer?.Status == status, $"{method} {path} '{body}': expected {status}, got {answer}");
            Assert.DoesNotContain("Exception", answer!.Body);
        }

        // A learner not caught up (its process is not even running) cannot be promoted: 409, and it stays a learner.
        var learner = await _cluster.SendAsync(leader, HttpMethod.Post, "/cluster/members",
            Encoding.UTF8.GetBytes($"{{\"id\": 4, \"address\": \"127.0.0.1:{_cluster.Node(4).RaftPort}\", \"learner\": true}}"));
        Assert.True(learner?.Status == 200, $"add learner 4: {learner}");
        var promote = await _cluster.SendAsync(leader, HttpMethod.Post, "/cluster/members/4/promote");
        Assert.True(promote?.Status == 409 && promote.Body.Contains("caught up"), $"promote of a learner not caught up: {promote}");
        Assert.Equal("learner", (await _cluster.MembersAsync(leader)).Single(m => m.Id == 4).Role);

        // A follower hands changes to the leader and relays its answer (raftexample takes POST /{id} on any node).
        var fromFollower = await _cluster.SendAsync(follower, HttpMethod.Post, "/cluster/members/9/promote");
        Assert.True(fromFollower?.Status == 404, $"promote of an unknown member through a follower: {fromFollower}");
        fromFollower = await _cluster.SendAsync(follower, HttpMethod.Post, "/5", Encoding.UTF8.GetBytes(RaftUrl(2)));
        Assert.True(fromFollower?.Status == 409 && fromFollower.Body.Contains("address"), $"POST /5 with node 2's URL through a follower: {fromFollower}");

        var after = await _cluster.MembersAsync(leader);
        Assert.Equal(before.Select(m => (m.Id, m.Role)).Append((4, "learner")), after.Select(m => (m.Id, m.Role)));
        // Removing the learner that was added for the test leaves the founders only; a second removal is a no-op 200.
        Assert.Equal(200, (await _cluster.SendAsync(leader, HttpMethod.Delete, "/4"))?.Status);
        Assert.Equal(200, (await _cluster.SendAsync(leader, HttpMethod.Delete, "/cluster/members/4"))?.Status);
        Assert.Equal(before.Select(m => (m.Id, m.Role)), (await _cluster.MembersAsync(leader)).Select(m => (m.Id, m.Role)));
    }

    /// <summary>A change sent to whichever node leads, until a definite answer (the leader may move meanwhile).</summary>
    private async Task<HttpAnswer> ChangeUntilDefinite(HttpMethod method, string path, string? body)
    {
        var deadline = Stopwatch.StartNew();
        HttpAnswer? last = null;
        while (deadline.Elapsed < ChangeDeadline)
        {
            var leader = await _cluster.WaitForLeaderAsync(ChangeDeadline);
            last = await _cluster.SendAsync(leader, method, path, body is null ? null : Encoding.UTF8.GetBytes(body),
                timeout: TimeSpan.FromSeconds(10));
            if (last is { IsDefinite: true }) return last;
            Log($"{method} {path}: {last?.ToString() ?? "no answer"}; retrying");
            await Task.Delay(200);
        }
        throw new TimeoutException($"{method} {path}: no definite answer; last {last}.\n{_cluster.DescribeLogs()}");
    }

    private async Task WriteUntil(CancellationToken stop, ConcurrentBag<string> acknowledged)
    {
        var random = new Random();
        while (!stop.IsCancellationRequested)
        {
            var id = $"g{Guid.NewGuid():N}"[..12];
            var serving = _cluster.Serving.ToList();
            try
            {
                var (answer, _) = await _cluster.PostUntilDefiniteAsync("/sCreate", id, idempotencyKey: id, TimeSpan.FromSeconds(60),
                    preferred: serving[random.Next(serving.Count)], attemptTimeout: AttemptTimeout);
                if (answer.Status is 200 or 201) acknowledged.Add(id);
                else Log($"write {id}: {answer}");
            }
            catch (TimeoutException e)
            {
                Log($"write {id}: {e.Message}");
            }
            try { await Task.Delay(50, stop); }
            catch (OperationCanceledException) { }
        }
    }

    private async Task AllAcknowledgedWritesAreOnEveryServingNode(CancellationTokenSource? stop, Task? writer,
        ConcurrentBag<string> acknowledged, int expectedNodes)
    {
        if (stop is not null) await stop.CancelAsync();
        if (writer is not null) await writer;
        Assert.NotEmpty(acknowledged);
        await _cluster.WaitForConvergenceAsync(ChangeDeadline);
        var serving = _cluster.Serving.ToList();
        Assert.Equal(expectedNodes, serving.Count);
        foreach (var node in serving)
        {
            var stacks = await _cluster.StackIdsAsync(node, AttemptTimeout, ChangeDeadline);
            var missing = acknowledged.Where(id => !stacks.Contains(id)).ToList();
            Assert.True(missing.Count == 0, $"node {node.Id} lacks {missing.Count} of {acknowledged.Count} acknowledged writes: {string.Join(",", missing.Take(5))}");
        }
        Log($"{acknowledged.Count} acknowledged writes are on nodes {string.Join(",", serving.Select(n => n.Id))}");
    }
}
