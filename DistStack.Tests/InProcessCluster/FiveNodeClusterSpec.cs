using Akka.Actor;
using System.Diagnostics;
using DistStack.Actors.Stacks;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.InProcessCluster;

[Collection(ClusterCollection.Name)]
public sealed class FiveNodeClusterSpec(ITestOutputHelper output)
{
    /// <summary>
    /// Kill the leader, measure until a command commits through the survivors, bring the dead node back on its
    /// data directory, repeat. Prints every run and the median; asserts only correctness (nothing lost).
    /// </summary>
    [Fact]
    public async Task Failover_after_killing_the_leader_keeps_every_committed_command()
    {
        const int runs = 5;
        await using var nodes = InProcessNodes.Start(5, output);
        var leader = await nodes.AwaitLeader();
        await nodes.Commit(new CreateStack("create", "f"), via: 1);

        var failovers = new List<double>();
        for (var run = 1; run <= runs; run++)
        {
            await nodes.Commit(new PushValue($"before-{run}", "f", $"b{run}"), via: run);
            leader = await nodes.AwaitLeader();

            var sinceKill = Stopwatch.StartNew();
            await nodes.Kill(leader);
            var failover = await FailoverClient.TimeToNextCommit(
                nodes, nodes.Running.ToList(), new PushValue($"after-{run}", "f", $"a{run}"), sinceKill, TimeSpan.FromSeconds(20));
            failovers.Add(failover.TotalMilliseconds);
            nodes.Log($"run {run}: killed leader {leader}; next commit after {failover.TotalMilliseconds:F0} ms");

            nodes.StartNode(leader);
            await nodes.AwaitConverged();
        }

        var sorted = failovers.Order().ToList();
        var median = sorted[sorted.Count / 2];
        nodes.Log($"failover (kill -> next commit), {runs} runs on 5 nodes: median {median:F0} ms, " +
                  $"min {sorted[0]:F0} ms, max {sorted[^1]:F0} ms");

        // Nothing committed was lost and nothing was applied twice: 2 pushes per run.
        foreach (var id in nodes.Running)
            Assert.Equal(2 * runs, (await nodes.Query(new SizeOfStack("f"), via: id)).Size);
        await nodes.AwaitConverged();
    }

    /// <summary>
    /// Cut the leader and one follower off from the other three (throttler blackhole inside Akka.Remote): the
    /// majority elects a leader and commits; the minority commits nothing; after healing it catches up.
    /// </summary>
    [Fact]
    public async Task A_partitioned_minority_commits_nothing_and_catches_up_after_healing()
    {
        await using var nodes = InProcessNodes.Start(5, output, withThrottler: true);
        var oldLeader = await nodes.AwaitLeader(within: TimeSpan.FromSeconds(40));
        await nodes.Commit(new CreateStack("create", "p"), via: oldLeader);
        await nodes.Commit(new PushValue("p0", "p", "before"), via: oldLeader);
        var converged = await nodes.AwaitConverged();

        var minority = new[] { oldLeader, nodes.Running.First(id => id != oldLeader) };
        var majority = nodes.Running.Except(minority).ToArray();
        await nodes.Partition(minority, majority);
        nodes.Log($"partitioned [{string.Join(",", minority)}] from [{string.Join(",", majority)}]");

        // The majority elects a leader of its own and commits.
        var newLeader = await nodes.AwaitLeader(among: majority);
        Assert.Contains(newLeader, majority);
        for (var i = 1; i <= 5; i++)
            await nodes.Commit(new PushValue($"maj-{i}", "p", $"m{i}"), via: majority[i % majority.Length]);

        // The old leader cannot commit: its reply is a failure, never Completed.
        var minorityReply = await nodes.Node(oldLeader).Ask<DistStack.Actors.Node.NodeReply>(
            new DistStack.Actors.Node.ExecuteCommand(new PushValue("minority", "p", "lost")), TimeSpan.FromSeconds(15));
        Assert.IsNotType<DistStack.Actors.Node.Completed>(minorityReply);
        var majorityState = await nodes.AwaitConverged(majority, atLeast: converged.Applied + 5);
        foreach (var id in minority)
            Assert.True((await nodes.TryStatus(id))!.CommitIndex < majorityState.Applied, $"minority node {id} committed majority entries while cut off");

        await nodes.Partition(minority, majority, heal: true);
        nodes.Log("healed");
        var healed = await nodes.AwaitConverged(atLeast: majorityState.Applied);
        nodes.Log($"all five converged at index {healed.Applied}");
        foreach (var id in minority)
            Assert.Equal(6, (await nodes.Query(new SizeOfStack("p"), via: id)).Size);
        Assert.Equal("m5", (await nodes.Query(new TopOfStack("p"), via: minority[0])).Value);
    }
}
