using DistStack.Actors.Stacks;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.InProcessCluster;

/// <summary>
/// A follower that was down while the others compacted their logs past everything it holds must be sent the
/// leader's snapshot (InstallSnapshot over the wire), make it durable, restore its stacks from it, and recover
/// from it again after another restart.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SnapshotCatchUpSpec(ITestOutputHelper output)
{
    [Fact]
    public async Task A_follower_behind_the_compaction_point_catches_up_through_the_leaders_snapshot()
    {
        await using var nodes = InProcessNodes.Start(3, output, tweak: s => s with { SnapshotEveryEntries = 5, SnapshotLogGrowthRatio = 0 });
        var leader = await nodes.AwaitLeader();
        await nodes.Commit(new CreateStack("create", "s"), via: leader);
        var lagging = nodes.Running.First(id => id != leader);
        await nodes.AwaitConverged();
        await nodes.Kill(lagging);

        for (var i = 1; i <= 30; i++)
            await nodes.Commit(new PushValue($"p{i}", "s", $"v{i}"), via: leader);
        var compacted = await InProcessNodes.Eventually(async () =>
        {
            var s = await nodes.TryStatus(leader);
            return s is { SnapshotIndex: >= 20 } ? s : null;
        }, "the leader's log compacted past index 20", TimeSpan.FromSeconds(20));
        nodes.Log($"leader {leader} compacted to {compacted.SnapshotIndex}; restarting node {lagging}");

        nodes.StartNode(lagging);
        var converged = await nodes.AwaitConverged(atLeast: compacted.CommitIndex);
        var installed = (await nodes.TryStatus(lagging))!;
        Assert.True(installed.SnapshotIndex >= compacted.SnapshotIndex,
            $"node {lagging} caught up without the snapshot (snapshot index {installed.SnapshotIndex})");
        Assert.Equal(30, (await nodes.Query(new SizeOfStack("s"), via: lagging)).Size);

        // Its own restart recovers from the installed snapshot.
        await nodes.Kill(lagging);
        nodes.StartNode(lagging);
        await nodes.AwaitConverged(atLeast: converged.Applied);
        Assert.Equal("v30", (await nodes.Query(new TopOfStack("s"), via: lagging)).Value);
        await nodes.Commit(new PushValue("last", "s", "v31"), via: lagging);
        Assert.Equal(31, (await nodes.Query(new SizeOfStack("s"), via: lagging)).Size);
    }
}
