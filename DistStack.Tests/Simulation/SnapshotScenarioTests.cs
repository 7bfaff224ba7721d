using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

/// <summary>Log compaction and InstallSnapshot (§7): lagging, partitioned and restarted followers.</summary>
public sealed class SnapshotScenarioTests
{
    private const string Name = nameof(SnapshotScenarioTests);

    private static long CommitMany(SimCluster cluster, int count)
    {
        var last = 0L;
        for (var i = 0; i < count; i++)
        {
            last = cluster.ProposeOnLeader();
            if (i % 10 == 9) cluster.Tick();
        }
        return last;
    }

    [Theory]
    [InlineData(64 * 1024)]
    [InlineData(24)]
    public void A_crashed_follower_that_fell_behind_the_compacted_log_is_sent_the_snapshot(int chunkBytes)
    {
        var (cluster, leader) = SimScenario.WithLeader(3, Name, o => o with { SnapshotChunkBytes = chunkBytes });
        var lagging = cluster.Others(leader).First();
        cluster.Crash(lagging);

        var last = CommitMany(cluster, 80);
        cluster.WaitApplied(last);
        foreach (var id in cluster.Others(lagging)) Assert.True(cluster.Compact(id));
        Assert.True(cluster.Node(cluster.Leader()!.Value).MemLog.SnapshotIndex > 60);

        cluster.Restart(lagging);
        var after = cluster.ProposeOnLeader();
        cluster.WaitApplied(after);

        Assert.True(cluster.Stats.Sent<InstallSnapshot>() >= (chunkBytes < 100 ? 80 * 8 / chunkBytes : 1));
        Assert.Equal(cluster.Applied(cluster.Leader()!.Value), cluster.Applied(lagging));
        Assert.NotNull(cluster.Node(lagging).Disk.Snapshot);
    }

    [Fact]
    public void A_partitioned_follower_is_brought_up_to_date_by_snapshot_over_a_lossy_network()
    {
        var (cluster, leader) = SimScenario.WithLeader(5, Name, o => o with { SnapshotChunkBytes = 40 });
        var lagging = cluster.Others(leader).Last();
        cluster.Isolate(lagging);
        var last = CommitMany(cluster, 60);
        cluster.WaitApplied(last, on: [.. cluster.Others(lagging)]);
        foreach (var id in cluster.Others(lagging)) cluster.Compact(id);

        cluster.LossRate = 0.2;
        cluster.DuplicateRate = 0.1;
        cluster.Heal();
        for (var i = 0; i < 400 && !cluster.Applied(lagging).Contains(last); i++) cluster.Tick();
        cluster.LossRate = 0;
        cluster.DuplicateRate = 0;
        cluster.WaitApplied(last);
        Assert.True(cluster.Stats.SnapshotsInstalled >= 1);
        Assert.Equal(cluster.Applied(leader), cluster.Applied(lagging));
    }

    [Fact]
    public void A_follower_restarts_from_the_snapshot_it_was_sent()
    {
        var (cluster, leader) = SimScenario.WithLeader(3, Name);
        var lagging = cluster.Others(leader).First();
        cluster.Crash(lagging);
        var last = CommitMany(cluster, 30);
        cluster.WaitApplied(last);
        foreach (var id in cluster.Others(lagging)) cluster.Compact(id);
        cluster.Restart(lagging);
        cluster.WaitApplied(last);
        var snapshotIndex = cluster.Node(lagging).Disk.Log.SnapshotIndex;
        Assert.True(snapshotIndex > 0, "the lagging follower was not sent a snapshot");

        // Restart it from its disk (snapshot + later entries): its state machine is restored from the snapshot.
        cluster.Crash(lagging);
        cluster.Restart(lagging);
        Assert.Equal(snapshotIndex, cluster.Node(lagging).Machine.AppliedIndex);
        var after = cluster.ProposeOnLeader();
        cluster.WaitApplied(after);
        Assert.Equal(cluster.Applied(leader), cluster.Applied(lagging));
    }

    [Fact]
    public void Every_node_restarts_from_its_own_snapshot_and_log_suffix()
    {
        var (cluster, _) = SimScenario.WithLeader(3, Name);
        var first = CommitMany(cluster, 25);
        cluster.WaitApplied(first);
        for (var id = 1; id <= 3; id++) cluster.Compact(id);
        var second = CommitMany(cluster, 10);
        cluster.WaitApplied(second);

        var expected = cluster.Applied(1).ToArray();
        for (var id = 1; id <= 3; id++) cluster.Crash(id);
        for (var id = 1; id <= 3; id++) cluster.Restart(id);
        var third = cluster.ProposeOnLeader();
        cluster.WaitApplied(third);
        for (var id = 1; id <= 3; id++) Assert.Equal([.. expected, third], cluster.Applied(id).ToArray());
    }

    [Fact]
    public void The_leader_compacting_again_during_a_transfer_restarts_it_with_the_new_snapshot()
    {
        var (cluster, leader) = SimScenario.WithLeader(3, Name, o => o with { SnapshotChunkBytes = 16 });
        var lagging = cluster.Others(leader).First();
        cluster.Crash(lagging);
        var last = CommitMany(cluster, 40);
        cluster.WaitApplied(last);
        cluster.Compact(leader);
        cluster.Restart(lagging);
        cluster.Tick(2); // the transfer of the first snapshot is under way
        last = CommitMany(cluster, 20);
        for (var i = 0; i < 20; i++) { cluster.Tick(); }
        cluster.Compact(cluster.Leader()!.Value);
        cluster.WaitApplied(last, maxRounds: 400);
        Assert.Equal(cluster.Applied(cluster.Leader()!.Value), cluster.Applied(lagging));
    }
}
