using DistStack.Actors.Raft;

namespace DistStack.Tests.Core;

/// <summary>Leadership transfer (dissertation §3.10).</summary>
public sealed class TransferTests
{
    [Fact]
    public void The_target_takes_over_at_once_in_a_new_term_skipping_pre_vote()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster[1].TransferLeadership(2);
        Assert.IsType<ProposeResult.TransferInProgress>(cluster[1].Propose([1]));
        cluster.Stabilize();

        Assert.Equal((RaftRole.Leader, 2L), (cluster[2].Status.Role, cluster[2].Status.Term));
        Assert.Equal(RaftRole.Follower, cluster[1].Status.Role);
        var request = cluster.Sent.OfType<RequestVote>().First(r => r.From == 2);
        Assert.Equal((false, true), (request.PreVote, request.LeadershipTransfer));
        Assert.Contains(cluster.Sent, m => m is TimeoutNow { From: 1, To: 2 });
    }

    [Fact]
    public void The_leader_brings_a_lagging_target_up_to_date_before_handing_over()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Isolate(3);
        for (var i = 0; i < 5; i++) cluster.Propose(1, $"c{i}");
        cluster.Stabilize();
        cluster.Heal();

        cluster[1].TransferLeadership(3);
        cluster.Stabilize();
        Assert.Equal(RaftRole.Leader, cluster[3].Status.Role);
        var timeoutNow = cluster.Sent.FindIndex(m => m is TimeoutNow);
        var lastAppendTo3 = cluster.Sent.FindLastIndex(m => m is AppendEntries { From: 1, To: 3, Entries.Count: > 0 });
        Assert.True(lastAppendTo3 < timeoutNow);
        cluster.TickAll(1);
        Assert.Equal(8, cluster[3].Status.CommitIndex); // its own no-op after the 7 it was given
    }

    [Fact]
    public void A_transfer_that_does_not_complete_within_an_election_timeout_is_abandoned()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Drop = m => m is TimeoutNow;
        cluster[1].TransferLeadership(2);
        cluster.TickAll(9);
        Assert.IsType<ProposeResult.TransferInProgress>(cluster[1].Propose([1]));
        cluster.TickAll(1);
        Assert.IsType<ProposeResult.Accepted>(cluster[1].Propose([1]));
        Assert.Equal(RaftRole.Leader, cluster[1].Status.Role);
    }

    [Fact]
    public void Transfer_is_ignored_unless_leader_and_to_a_voter()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster[2].TransferLeadership(3);
        cluster[1].TransferLeadership(9);
        cluster.Stabilize();
        Assert.IsType<ProposeResult.Accepted>(cluster[1].Propose([1]));
        Assert.DoesNotContain(cluster.Sent, m => m is TimeoutNow);
    }
}
