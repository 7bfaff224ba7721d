using System.Diagnostics;
using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Stacks;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.InProcessCluster;

[Collection(ClusterCollection.Name)]
public sealed class ThreeNodeClusterSpec(ITestOutputHelper output)
{
    [Fact]
    public async Task Elects_commits_via_any_node_and_survives_the_leaders_death()
    {
        await using var nodes = InProcessNodes.Start(3, output);
        var leader = await nodes.AwaitLeader();
        nodes.Log($"leader: node {leader}");

        // Commit through every node: followers forward to the leader, which answers the asker directly.
        Assert.Equal(StackOutcome.Created, (await nodes.Commit(new CreateStack("create", "s"), via: 1)).Outcome);
        for (var id = 1; id <= 3; id++)
            await nodes.Commit(new PushValue($"push-{id}", "s", $"from-{id}"), via: id);
        Assert.Equal(3, (await nodes.Query(new SizeOfStack("s"), via: leader % 3 + 1)).Size);
        var before = await nodes.AwaitConverged();

        // Status: every member reachable (Akka.Cluster's view, display only) and the leader's match indexes.
        var status = await InProcessNodes.Eventually(async () =>
        {
            var s = await nodes.TryStatus(leader);
            return s is not null && s.Members.All(m => m.Reachable) && s.Members.All(m => m.MatchIndex >= before.Applied) ? s : null;
        }, "all members reachable and matched in the leader's status", TimeSpan.FromSeconds(20));
        Assert.Equal(3, status.Members.Count);

        // A graceful hand-over moves leadership to a follower that holds everything.
        var handedOver = await nodes.Node(leader).Ask<LeadershipHandedOver>(HandOverLeadership.Instance, TimeSpan.FromSeconds(10));
        Assert.True(handedOver.WasLeader);
        Assert.NotNull(handedOver.NewLeaderId);
        Assert.NotEqual(leader, handedOver.NewLeaderId);
        leader = await nodes.AwaitLeader(not: leader);
        Assert.Equal(handedOver.NewLeaderId, leader);
        nodes.Log($"leadership handed over to node {leader}");

        var sinceKill = Stopwatch.StartNew();
        await nodes.Kill(leader);
        var survivors = nodes.Running.ToList();
        var failover = await FailoverClient.TimeToNextCommit(
            nodes, survivors, new PushValue("after-kill", "s", "after"), sinceKill, TimeSpan.FromSeconds(20));
        nodes.Log($"killed leader {leader}; next commit after {failover.TotalMilliseconds:F0} ms");
        var newLeader = await nodes.AwaitLeader();
        Assert.NotEqual(leader, newLeader);

        // Everything committed before the kill is still there, exactly once, plus the new value.
        foreach (var id in survivors)
        {
            Assert.Equal(4, (await nodes.Query(new SizeOfStack("s"), via: id)).Size);
            Assert.Equal("after", (await nodes.Query(new TopOfStack("s"), via: id)).Value);
        }
        var after = await nodes.AwaitConverged(survivors, atLeast: before.Applied + 1);
        nodes.Log($"survivors converged at index {after.Applied}, digest {after.Digest}");
        var unreachable = await InProcessNodes.Eventually(async () =>
        {
            var s = await nodes.TryStatus(newLeader);
            return s is not null && s.Members.Single(m => m.Id == leader).Reachable == false ? s : null;
        }, "the dead node shown unreachable", TimeSpan.FromSeconds(30));
        Assert.All(unreachable.Members.Where(m => m.Id != leader), m => Assert.True(m.Reachable));

        // The dead node comes back on its data directory and catches up.
        nodes.StartNode(leader);
        await nodes.AwaitConverged(atLeast: after.Applied);
        Assert.Equal(4, (await nodes.Query(new SizeOfStack("s"), via: leader)).Size);
    }
}
