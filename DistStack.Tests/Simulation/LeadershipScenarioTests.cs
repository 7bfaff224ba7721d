using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

/// <summary>Leadership transfer (dissertation §3.10) and linearizable reads (§6.4).</summary>
public sealed class LeadershipScenarioTests
{
    private const string Name = nameof(LeadershipScenarioTests);

    [Fact]
    public void Leadership_transfer_completes_and_proposals_and_reads_are_refused_meanwhile()
    {
        var (cluster, leader) = SimScenario.WithLeader(3, Name);
        cluster.WaitApplied(cluster.ProposeOnLeader());
        var target = cluster.Others(leader).First();
        var term = cluster.Status(leader).Term;

        cluster.TransferLeadership(leader, target);
        var (_, refused) = cluster.Propose(leader);
        Assert.Equal(new ProposeResult.TransferInProgress(target), refused);
        var read = cluster.RequestRead(leader);

        cluster.Tick(3);
        Assert.Equal(ReadRejection.LeadershipTransfer, cluster.ReadOutcome(leader, read)?.Rejected);
        Assert.Equal(target, cluster.Leader());
        Assert.True(cluster.Status(target).Term > term);
        Assert.NotEqual(RaftRole.Leader, cluster.Status(leader).Role);
        var command = cluster.ProposeOnLeader();
        cluster.WaitApplied(command);
    }

    [Fact]
    public void Leadership_transfer_to_a_lagging_target_waits_for_it_to_catch_up()
    {
        var (cluster, leader) = SimScenario.WithLeader(3, Name, o => o with { MaxEntriesPerAppend = 2 });
        var target = cluster.Others(leader).First();
        cluster.Crash(target);
        var last = 0L;
        for (var i = 0; i < 20; i++) last = cluster.ProposeOnLeader();
        cluster.Tick(5);
        cluster.Restart(target);
        cluster.TransferLeadership(leader, target);
        cluster.Tick(cluster.Settings.Raft.ElectionTicks - 1);
        Assert.Equal(target, cluster.Leader());
        Assert.Contains(last, cluster.Applied(leader));
        cluster.WaitApplied(last);
    }

    [Fact]
    public void Leadership_transfer_to_an_unreachable_target_is_abandoned_and_the_leader_serves_again()
    {
        var (cluster, leader) = SimScenario.WithLeader(5, Name);
        var target = cluster.Others(leader).First();
        cluster.Crash(target);
        cluster.TransferLeadership(leader, target);
        Assert.IsType<ProposeResult.TransferInProgress>(cluster.Propose(leader).Result);

        cluster.Tick(2 * cluster.Settings.Raft.ElectionTicks);
        Assert.Equal(leader, cluster.Leader());
        var (command, result) = cluster.Propose(leader);
        Assert.IsType<ProposeResult.Accepted>(result);
        cluster.WaitApplied(command);
    }

    [Fact]
    public void Reads_on_the_leader_and_on_followers_see_every_acknowledged_write()
    {
        var (cluster, leader) = SimScenario.WithLeader(3, Name);
        var writes = Enumerable.Range(0, 7).Select(_ => cluster.ProposeOnLeader()).ToList();
        cluster.WaitApplied(writes[^1]);
        var follower = cluster.Others(leader).First();
        // The follower has applied everything; a write acknowledged now is only on the leader's state machine.
        var fresh = cluster.ProposeOnLeader();
        for (var i = 0; i < 10 && !cluster.Applied(leader).Contains(fresh); i++) cluster.RunFor(1);
        Assert.Contains(fresh, cluster.Applied(leader));

        var onLeader = cluster.RequestRead(leader);
        var onFollower = cluster.RequestRead(follower);
        cluster.Tick(3);
        Assert.Equal(8, cluster.ReadOutcome(leader, onLeader)?.Value);
        Assert.Equal(8, cluster.ReadOutcome(follower, onFollower)?.Value);
    }

    [Fact]
    public void A_deposed_leader_in_the_minority_never_serves_a_stale_read()
    {
        // Without check-quorum the old leader does not notice; ReadIndex must still not answer from it.
        var (cluster, leader) = SimScenario.WithLeader(5, Name, o => o with { CheckQuorum = false });
        cluster.WaitApplied(cluster.ProposeOnLeader());
        var minority = new[] { leader, cluster.Others(leader).First() };
        var majority = cluster.Others(minority).ToArray();
        cluster.Partition(minority, majority);

        var newLeader = ReplicationScenarioTests.ElectAmong(cluster, majority);
        var write = cluster.ProposeOnLeader();
        for (var i = 0; i < 20 && !cluster.Applied(newLeader).Contains(write); i++) cluster.Tick();
        Assert.Contains(write, cluster.Applied(newLeader));

        var stale = cluster.RequestRead(leader);
        var viaFollower = cluster.RequestRead(minority[1]);
        cluster.Tick(60);
        Assert.True(cluster.ReadOutcome(leader, stale) is null or { Rejected: not null }, $"old leader served {cluster.ReadOutcome(leader, stale)}");
        Assert.True(cluster.ReadOutcome(minority[1], viaFollower) is null or { Rejected: not null });

        cluster.Heal();
        cluster.Tick(30);
        var late = cluster.RequestRead(leader);
        cluster.Tick(10);
        Assert.Equal(2, cluster.ReadOutcome(leader, late)?.Value);
    }

    [Fact]
    public void A_read_on_a_node_without_a_leader_is_rejected_not_left_hanging()
    {
        var cluster = SimScenario.Cluster(3, Name);
        var read = cluster.RequestRead(1);
        cluster.Stabilize();
        Assert.Equal(ReadRejection.NoLeader, cluster.ReadOutcome(1, read)?.Rejected);
    }

    [Fact]
    public void A_read_forwarded_to_a_leader_that_dies_is_answered_not_left_hanging()
    {
        var (cluster, leader) = SimScenario.WithLeader(3, Name);
        cluster.WaitApplied(cluster.ProposeOnLeader());
        var follower = cluster.Others(leader).First();
        cluster.Block(leader, follower); // the leader's answer would never arrive
        var read = cluster.RequestRead(follower);
        cluster.RunFor(2);
        cluster.Crash(leader);
        cluster.Tick(5 * cluster.Settings.Raft.ElectionTicks);
        var outcome = cluster.ReadOutcome(follower, read);
        Assert.NotNull(outcome);
        Assert.True(outcome.Rejected is not null || outcome.Value == 1, $"unexpected read outcome {outcome}");
    }
}
