using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Processes;

/// <summary>
/// Storage ids for real (docs/membership.md, "Storage ids"): a follower whose whole data directory is deleted and that
/// is restarted as before comes back blank under a new storage id. It must never count: with the third node down, the
/// leader and the blank node are two of three voters, and still no write commits (without storage ids it would, and a
/// later election could lose it). It says so in its log and status, and the leader's status names it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class WipedNodeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ProcessCluster _cluster = null!;

    public Task InitializeAsync()
    {
        _cluster = ProcessCluster.Start(3, new ProcessClusterOptions { Log = output.WriteLine });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task A_node_restarted_with_a_wiped_data_directory_never_counts_toward_a_commit()
    {
        var leader = await _cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
        // The first leader records every founder's storage.
        Assert.True(await ProcessCluster.EventuallyAsync(
                () => Task.FromResult(_cluster.Nodes.All(n => n.ReadLog().Contains("the cluster records this node's storage"))),
                TimeSpan.FromSeconds(30)),
            "the founders' storage ids were never recorded\n" + _cluster.DescribeLogs());
        Assert.Equal("201 1", (await _cluster.PostAsync(leader, "/sCreate", "1"))?.ToString());
        Assert.Equal("200 1", (await _cluster.PostAsync(leader, "/sPush", "1,before", "before"))?.ToString());

        var (wiped, other) = (_cluster.Nodes.First(n => n != leader), _cluster.Nodes.Last(n => n != leader));
        var storageBefore = (await _cluster.StatusAsync(wiped))?.StorageId;
        Assert.NotNull(storageBefore);
        await wiped.KillAsync();
        Directory.Delete(wiped.DataDir, recursive: true);
        var logBefore = wiped.ReadLog().Length;
        wiped.Start();

        // It comes back under a new storage id, learns that the cluster recorded another one, and says so; so does the leader.
        Assert.True(await ProcessCluster.EventuallyAsync(async () =>
                (await _cluster.StatusAsync(wiped)) is { StorageLost: true } mine && mine.StorageId != storageBefore &&
                (await _cluster.StatusAsync(leader))?.Members.Single(m => m.Id == wiped.Id).StorageLost == true,
                TimeSpan.FromSeconds(60)),
            "the wiped node was never reported as lost\n" + _cluster.DescribeLogs());
        // Akka's logger and the harness's copy of stdout are asynchronous: the line may follow the status by a moment.
        Assert.True(await ProcessCluster.EventuallyAsync(
                () => Task.FromResult(wiped.ReadLog()[logBefore..].Contains("its data directory was lost or replaced")),
                TimeSpan.FromSeconds(30)),
            "the wiped node does not log that its storage is not the recorded one\n" + wiped.TailLog(40));

        // The leader and the blank node are two of three voters, but the blank node's acknowledgements do not count.
        await other.KillAsync();
        var during = await _cluster.PostAsync(leader, "/sPush", "1,during", "during", timeout: TimeSpan.FromSeconds(8));
        Assert.True(during is null || during.Status >= 500, $"a write committed with only the leader and a blank node: {during}");
        Assert.NotEqual("leader", (await _cluster.StatusAsync(wiped))?.Role);

        // The third node back: writes commit again, and the blank node still never counted nor led.
        other.Start();
        var (after, _) = await _cluster.PostUntilDefiniteAsync("/sPush", "1,after", "after", TimeSpan.FromSeconds(60), preferred: leader);
        Assert.Equal(200, after.Status);
        Assert.DoesNotContain("became leader", wiped.ReadLog()[logBefore..]);
        Assert.True((await _cluster.StatusAsync(wiped))?.StorageLost);
    }
}
