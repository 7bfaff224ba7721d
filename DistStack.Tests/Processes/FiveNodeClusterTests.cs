using System.Diagnostics;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Processes;

/// <summary>
/// Five real DistStack.Host processes on loopback, driven over HTTP like the seed README drives them: the curl
/// sequence, a SIGKILLed leader, a restarted node catching up, a SIGTERMed leader handing over, a SIGSTOPped leader.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FiveNodeClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Five processes starting at once on two cores spend several seconds each in JIT before they elect.
    private static readonly TimeSpan StartupDeadline = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ElectionDeadline = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RequestDeadline = TimeSpan.FromSeconds(30);

    // A careful client: an attempt without an answer after this long is retried on another node with the same
    // Idempotency-Key (safe: it applies at most once). A command forwarded to a leader that just died would
    // otherwise wait for the server's full 5 s request timeout.
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);

    private ProcessCluster _cluster = null!;
    private bool _passed;

    public async Task InitializeAsync()
    {
        _cluster = ProcessCluster.Start(5, new ProcessClusterOptions { Log = Log });
        await _cluster.WaitForLeaderAsync(StartupDeadline);
    }

    public async Task DisposeAsync()
    {
        _cluster.KeepData = !_passed; // a failed run keeps every node's data and full log for a post-mortem
        await _cluster.DisposeAsync();
    }

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

    private async Task<HttpAnswer> Post(NodeProcess node, string path, string body) =>
        await _cluster.PostAsync(node, path, body) ?? throw new InvalidOperationException($"{node} did not answer POST {path}");

    /// <summary>A read on one given node, retried there while it answers 503/504 (e.g. it has not heard of the new leader yet).</summary>
    private async Task<HttpAnswer> ReadOn(NodeProcess node, string path, string body)
    {
        HttpAnswer? answer = null;
        await ProcessCluster.EventuallyAsync(async () =>
            (answer = await _cluster.PostAsync(node, path, body, timeout: AttemptTimeout)) is { IsDefinite: true }, RequestDeadline);
        return answer ?? throw new InvalidOperationException($"{node} did not answer POST {path}");
    }

    private async Task<HttpAnswer> PostAnywhere(string path, string body, string key, NodeProcess? preferred = null) =>
        (await _cluster.PostUntilDefiniteAsync(path, body, key, RequestDeadline, preferred, attemptTimeout: AttemptTimeout)).Answer;

    [Fact]
    public async Task The_seed_curl_sequence_works_on_node_1_and_every_node_reads_the_same()
    {
        var node1 = _cluster.Node(1);
        // As a user would after starting the cluster: wait until node 1 is ready (knows the leader, caught up).
        Assert.True(await ProcessCluster.EventuallyAsync(
            async () => await _cluster.SendAsync(node1, HttpMethod.Get, "/health/ready") is { Status: 200 }, ElectionDeadline));

        Assert.Equal("201 1", (await Post(node1, "/sCreate", "1")).ToString());
        Assert.Equal("200 1", (await Post(node1, "/sId", "1")).ToString());
        Assert.Equal("200 1", (await Post(node1, "/sPush", "1,10")).ToString());
        Assert.Equal("200 10", (await Post(node1, "/sTop", "1")).ToString());
        Assert.Equal("200 1", (await Post(node1, "/sSize", "1")).ToString());

        // Reads are linearizable on every node (ReadIndex), followers included.
        foreach (var node in _cluster.Nodes)
            Assert.Equal("200 10", (await ReadOn(node, "/sTop", "1")).ToString());
        await _cluster.WaitForConvergenceAsync(ElectionDeadline);
        _passed = true;
    }

    [Fact]
    public async Task A_push_through_a_follower_right_after_the_leader_is_killed_answers_200_once_a_new_leader_is_elected()
    {
        Assert.Equal(201, (await PostAnywhere("/sCreate", "f", "create-f")).Status);
        var took = new List<double>();
        for (var round = 1; round <= 5; round++)
        {
            var leader = await _cluster.WaitForLeaderAsync(ElectionDeadline);
            var converged = await _cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
            var follower = _cluster.Serving.First(n => n != leader && converged.ContainsKey(n.Id));

            await leader.KillAsync();
            var clock = Stopwatch.StartNew();
            // One attempt, no client retry: the follower itself must carry the write to the next leader.
            var answer = await _cluster.PostAsync(follower, "/sPush", $"f,{round}", $"push-f-{round}", timeout: TimeSpan.FromSeconds(20));
            took.Add(clock.Elapsed.TotalMilliseconds);
            Log($"round {round}: leader {leader} SIGKILLed; push through follower {follower} answered {answer} after {clock.ElapsedMilliseconds} ms");
            Assert.Equal($"200 {round}", answer?.ToString());

            leader.Start();
        }

        Log($"FORWARDED WRITE AFTER LEADER KILL: {string.Join(", ", took.Select(t => $"{t:0} ms"))}; median {took.Order().ElementAt(took.Count / 2):0} ms");
        _passed = true;
    }

    [Fact]
    public async Task Killing_the_leader_loses_nothing_acknowledged_and_the_restarted_node_catches_up()
    {
        var leader = await _cluster.WaitForLeaderAsync(ElectionDeadline);
        Assert.Equal(201, (await PostAnywhere("/sCreate", "s", "create-s")).Status);

        var clock = Stopwatch.StartNew();
        var acknowledged = new List<(int Value, TimeSpan At)>();
        async Task PushAsync(int value)
        {
            // Same key on every retry: a push that timed out on one node and is retried on another applies once.
            var answer = await PostAnywhere("/sPush", $"s,{value}", $"push-{value}");
            Assert.Equal(200, answer.Status);
            Assert.Equal((acknowledged.Count + 1).ToString(), answer.Text); // exactly once, in order
            acknowledged.Add((value, clock.Elapsed));
        }

        var next = 0;
        for (; next < 20; next++) await PushAsync(next);

        var killedAt = clock.Elapsed;
        await leader.KillAsync();
        Log($"SIGKILLed leader {leader} at {killedAt.TotalMilliseconds:0} ms");
        var electing = _cluster.WaitForNewLeaderAsync(leader, ElectionDeadline).ContinueWith(t => (Leader: t.Result, At: clock.Elapsed));
        for (var end = next + 20; next < end; next++) await PushAsync(next);

        var (newLeader, electedAt) = await electing;
        var failover = acknowledged.First(a => a.At > killedAt).At - killedAt;
        Log($"FAILOVER: kill -> new leader {newLeader} agreed {(electedAt - killedAt).TotalMilliseconds:0} ms; " +
            $"kill -> next acknowledged push {failover.TotalMilliseconds:0} ms");
        Assert.True(failover < TimeSpan.FromSeconds(10), $"writes resumed only after {failover}");

        // Every acknowledged push is there, once: on every survivor (linearizable reads)...
        foreach (var node in _cluster.Serving)
            Assert.Equal($"200 {acknowledged.Count}", (await ReadOn(node, "/sSize", "s")).ToString());

        // ...and on the killed node once it is back: it catches up to the same state (digest at equal index).
        leader.Start();
        var converged = await _cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(5, converged.Count);
        Assert.Single(converged.Values.Select(s => s.StateDigest).Distinct());
        Assert.Equal($"200 {acknowledged.Count}", (await ReadOn(leader, "/sSize", "s")).ToString());

        // In order: pop them all.
        for (var i = acknowledged.Count - 1; i >= 0; i--)
            Assert.Equal($"200 {acknowledged[i].Value}", (await PostAnywhere("/sPop", "s", $"pop-{i}")).ToString());
        Assert.Equal(409, (await PostAnywhere("/sPop", "s", "pop-empty")).Status);

        var members = converged[newLeader.Id].Members;
        Assert.Equal([1, 2, 3, 4, 5], members.Select(m => m.Id));
        _passed = true;
    }

    [Fact]
    public async Task A_SIGTERMed_leader_hands_over_leadership_and_exits_cleanly()
    {
        var leader = await _cluster.WaitForLeaderAsync(ElectionDeadline);
        Assert.Equal(201, (await PostAnywhere("/sCreate", "t", "create-t")).Status);
        Assert.Equal("200 1", (await PostAnywhere("/sPush", "t,before", "push-before")).ToString());
        var termBefore = (await _cluster.StatusAsync(leader))!.Term;

        var clock = Stopwatch.StartNew();
        leader.Terminate();
        var exitCode = await leader.WaitForExitAsync(TimeSpan.FromSeconds(10));
        var exitedAfter = clock.Elapsed;
        var newLeader = await _cluster.WaitForNewLeaderAsync(leader, ElectionDeadline);
        var electedAfter = clock.Elapsed;
        Log($"HANDOVER: SIGTERM -> exit {exitedAfter.TotalMilliseconds:0} ms (code {exitCode}), new leader {newLeader} agreed by {electedAfter.TotalMilliseconds:0} ms");

        Assert.Equal(0, exitCode);
        Assert.Contains("Leadership handed over to node", leader.ReadLog());
        Assert.Equal("200 2", (await PostAnywhere("/sPush", "t,after", "push-after")).ToString());
        var status = (await _cluster.StatusAsync(newLeader))!;
        Assert.True(status.Term > termBefore);
        Assert.Equal(5, status.Members.Count); // stopping never changes the voters

        // With a member dead (unreachable: Akka.Cluster cannot converge, so a graceful leave cannot finish), a
        // SIGTERMed node must still exit well inside Docker's 10 s grace period.
        var dead = _cluster.Nodes.First(n => n.IsServing && n != newLeader);
        await dead.KillAsync();
        var stopping = _cluster.Nodes.First(n => n.IsServing && n != newLeader);
        clock.Restart();
        stopping.Terminate();
        var stoppedCode = await stopping.WaitForExitAsync(TimeSpan.FromSeconds(10));
        Log($"SIGTERM of {stopping} with {dead} dead -> exit {clock.ElapsedMilliseconds} ms (code {stoppedCode})");
        Assert.Equal(0, stoppedCode);

        // Three of five are down now: no quorum. A gracefully stopped node restarts with its data and restores it.
        stopping.Start();
        Assert.Equal("200 3", (await PostAnywhere("/sPush", "t,after-restart", "push-after-restart")).ToString());
        Assert.Equal(5, (await _cluster.StatusAsync(stopping))!.Members.Count);
        _passed = true;
    }

    [Fact]
    public async Task A_SIGSTOPped_leader_is_replaced_and_rejoins_as_follower_after_SIGCONT()
    {
        var leader = await _cluster.WaitForLeaderAsync(ElectionDeadline);
        Assert.Equal(201, (await PostAnywhere("/sCreate", "p", "create-p")).Status);

        leader.Pause();
        var clock = Stopwatch.StartNew();
        Assert.Equal("200 1", (await PostAnywhere("/sPush", "p,during-pause", "push-during")).ToString());
        Log($"PAUSE: SIGSTOP of leader -> acknowledged push {clock.ElapsedMilliseconds} ms");
        var newLeader = await _cluster.WaitForNewLeaderAsync(leader, ElectionDeadline);

        leader.Resume();
        await _cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        var status = (await _cluster.StatusAsync(leader))!;
        Assert.NotEqual("leader", status.Role);
        Assert.Equal("200 1", (await ReadOn(leader, "/sSize", "p")).ToString());
        Log($"old leader {leader} follows {newLeader} again");
        _passed = true;
    }
}
