using DistStack.Actors.Raft;

namespace DistStack.Tests.Core;

/// <summary>
/// Storage ids (RaftCore.StorageIds.cs): the first leader records every member's storage; from then on a vote, an
/// acknowledgement or a read confirmation counts only from the recorded storage, so a voter whose disk was lost and
/// that came back blank can never help elect a leader without a committed entry, nor count toward a commit.
/// </summary>
public sealed class StorageIdTests
{
    /// <summary>Storage id of node n's first storage: n * 100.</summary>
    private static TestCluster Cluster(int voters) =>
        new(voters, o => o with { StorageId = (ulong)o.NodeId * 100, CheckQuorum = true, PreVote = true });

    private static ClusterConfiguration Recorded(TestCluster cluster, int leader)
    {
        cluster.TickAll(cluster[leader].Configuration.HasStorageIds ? 0 : 25);
        return cluster[leader].Configuration;
    }

    [Fact]
    public void The_first_leader_records_every_founders_storage_and_keeps_leading()
    {
        var cluster = Cluster(3);
        cluster.Elect(1);
        cluster.TickAll(30);

        var configuration = cluster[1].Configuration;
        Assert.Equal([new(1, 100UL), new(2, 200UL), new(3, 300UL)], configuration.StorageIds.ToArray());
        Assert.Equal(RaftRole.Leader, cluster[1].Status.Role);
        Assert.Equal(1, cluster[1].Status.Term);
        foreach (var id in new[] { 2, 3 })
        {
            Assert.Equal(configuration, cluster[id].Configuration);
            Assert.True(cluster[id].Status.OwnStorageRecorded);
        }
        Assert.Equal(cluster[1].Status.LastLogIndex, cluster[1].Status.CommitIndex);
    }

    [Fact]
    public void A_voter_whose_disk_was_lost_cannot_help_elect_a_leader_that_lacks_a_committed_entry()
    {
        var cluster = Cluster(3);
        cluster.Elect(1);
        Recorded(cluster, 1);
        cluster.Isolate(3);
        var committed = cluster.Propose(1, "acknowledged");
        cluster.Stabilize();
        Assert.True(cluster[1].Status.CommitIndex >= committed.Index);

        // Node 2, which acknowledged the entry, loses its disk; node 1, the other copy, crashes.
        cluster.WipeAndRestart(2, storageId: 201);
        cluster.Heal();
        cluster.Isolate(1);

        // Node 3 lacks the entry; blank node 2 would grant it a vote, but that vote does not count.
        for (var i = 0; i < 100 && cluster[3].Status.Role != RaftRole.Leader; i++) cluster.TickAll();
        Assert.NotEqual(RaftRole.Leader, cluster[3].Status.Role);
        Assert.Contains(cluster.Sent, m => m is RequestVoteResponse { From: 2, To: 3, Granted: true, StorageId: 201 });
    }

    [Fact]
    public void A_voter_whose_disk_was_lost_catches_up_but_counts_toward_no_commit_until_added_again()
    {
        var cluster = Cluster(3);
        cluster.Elect(1);
        Recorded(cluster, 1);
        cluster.Propose(1, "before");
        cluster.Stabilize();

        cluster.WipeAndRestart(2, storageId: 201);
        cluster.TickAll(5);

        // Node 2 holds the whole log again (the leader started over with it: its old progress was about the lost
        // storage), and the leader says its storage is lost.
        Assert.Equal(cluster[1].Status.LastLogIndex, cluster[2].Status.LastLogIndex);
        Assert.Equal([2], cluster[1].Status.MembersWithLostStorage);
        Assert.False(cluster[2].Status.OwnStorageRecorded);
        Assert.Equal(RaftRole.Follower, cluster[2].Status.Role);

        // Its acknowledgements are not counted: without node 3, nothing new commits (and the leader, hearing from no
        // quorum it may count, steps down at its next check).
        cluster.Isolate(3);
        var entry = cluster.Propose(1, "after");
        cluster.Stabilize();
        Assert.Equal(entry.Index, cluster[2].Status.LastLogIndex);
        Assert.True(cluster[1].Status.CommitIndex < entry.Index);
        cluster.TickAll(30);
        Assert.NotEqual(RaftRole.Leader, cluster[1].Status.Role);
        Assert.True(cluster[1].Status.CommitIndex < entry.Index);

        // Removing it and adding it back (as a learner, then promoted) records its new storage: commits resume.
        cluster.Heal();
        for (var i = 0; i < 100 && cluster[1].Status.Role != RaftRole.Leader; i++) cluster.TickAll();
        Assert.Equal(RaftRole.Leader, cluster[1].Status.Role);
        Assert.True(cluster[1].Status.CommitIndex >= entry.Index);
        Change(cluster, ConfigurationChange.Remove(2));
        Change(cluster, ConfigurationChange.AddLearner(2));
        Change(cluster, ConfigurationChange.Promote(2));
        Assert.Equal(201UL, cluster[1].Configuration.StorageIds[2]);
        Assert.True(cluster[2].Status.OwnStorageRecorded);
        Assert.Empty(cluster[1].Status.MembersWithLostStorage);

        cluster.Isolate(3);
        var later = cluster.Propose(1, "counted again");
        cluster.Stabilize();
        Assert.True(cluster[1].Status.CommitIndex >= later.Index);
    }

    [Fact]
    public void A_blank_voter_never_campaigns_once_it_learns_the_cluster_recorded_another_storage_for_it()
    {
        var cluster = Cluster(3);
        cluster.Elect(1);
        Recorded(cluster, 1);
        cluster.WipeAndRestart(3, storageId: 301);
        cluster.TickAll(5);
        Assert.False(cluster[3].Status.OwnStorageRecorded);

        cluster.Isolate(1);
        var sentBefore = cluster.Sent.Count;
        cluster.TickAll(100);
        Assert.DoesNotContain(cluster.Sent.Skip(sentBefore), m => m is RequestVote { From: 3 });
        // Node 2 cannot win alone either (node 3's vote does not count), so there is no leader: safe, not live.
        Assert.NotEqual(RaftRole.Leader, cluster[2].Status.Role);
    }

    [Fact]
    public void A_recorded_storage_id_is_never_replaced_by_another_answer()
    {
        var cluster = Cluster(3);
        cluster.Elect(1);
        Recorded(cluster, 1);
        cluster.WipeAndRestart(2, storageId: 201);
        cluster.TickAll(60);
        Assert.Equal(200UL, cluster[1].Configuration.StorageIds[2]);
    }

    private static void Change(TestCluster cluster, ConfigurationChange change)
    {
        for (var i = 0; i < 50; i++)
        {
            var result = cluster[1].ProposeConfigurationChange(change);
            cluster.TickAll();
            if (result is ConfigurationChangeResult.Accepted or ConfigurationChangeResult.Unchanged &&
                cluster[1].Status.CommitIndex == cluster[1].Status.LastLogIndex)
                return;
        }
        throw new Xunit.Sdk.XunitException($"{change} did not commit: {cluster[1].Configuration}");
    }
}
