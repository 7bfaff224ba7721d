using DistStack.Actors.Raft;

namespace DistStack.Tests.Core;

/// <summary>
/// A member removed while it could not hear the leader, then added back under its id after its disk was lost (the
/// documented replacement: remove, wipe, start with --join, add): the leader kept its progress while it was departing,
/// and what that progress says it holds belongs to the old disk.
/// </summary>
public sealed class ReAddedMemberTests
{
    private static ConfigurationChangeResult.Accepted Change(TestCluster cluster, int leader, ConfigurationChange change) =>
        Assert.IsType<ConfigurationChangeResult.Accepted>(cluster[leader].ProposeConfigurationChange(change));

    [Fact]
    public void A_member_removed_while_down_and_added_back_with_an_empty_disk_receives_the_whole_log_before_it_counts_as_caught_up()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Propose(1, "a");
        cluster.Propose(1, "b");
        cluster.Stabilize();
        var heldByOldDisk = cluster.Disks[3].LastIndex;

        // Node 3 goes down holding everything; it is removed, so the leader keeps replicating to it (departing) with
        // the match index of the old disk, never told that the removal committed.
        cluster.Isolate(3);
        var removal = Change(cluster, 1, ConfigurationChange.Remove(3));
        cluster.Stabilize();
        Assert.True(cluster[1].Status.CommitIndex >= removal.Index);

        cluster.StartBlank(3);
        cluster.Heal();
        var added = Change(cluster, 1, ConfigurationChange.AddLearner(3));
        cluster.Stabilize();
        Assert.True(cluster[1].Status.CommitIndex >= added.Index);

        // Before it holds what the old disk held, the leader must not take it for caught up (it would promote a blank
        // node to voter on the old disk's match index).
        for (var tick = 0; tick < 5 && cluster.Disks[3].LastIndex < heldByOldDisk; tick++)
        {
            Assert.False(cluster[1].IsCaughtUp(3), $"node 3 counts as caught up holding {cluster.Disks[3].LastIndex} of {heldByOldDisk} entries");
            cluster.TickAll(1);
        }

        cluster.TickAll(3);
        Assert.Equal(cluster.Disks[1].Entries.Select(e => (e.Index, e.Term)), cluster.Disks[3].Entries.Select(e => (e.Index, e.Term)));
        Assert.Equal(Membership.Learner, cluster[3].Status.Membership);
        Assert.True(cluster[1].IsCaughtUp(3));
    }
}
