using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

/// <summary>Elections, mirroring the well-known Raft suites (MIT 6.824 2A, etcd raft_paper_test).</summary>
public sealed class ElectionScenarioTests
{
    [Fact]
    public void Initial_election_elects_exactly_one_leader_that_everyone_follows()
    {
        var cluster = SimScenario.Cluster(3, nameof(ElectionScenarioTests));
        var leader = cluster.ElectLeader();
        cluster.Tick(20);

        var statuses = Enumerable.Range(1, 3).Select(cluster.Status).ToList();
        Assert.Single(statuses, s => s.Role == RaftRole.Leader);
        Assert.All(statuses, s => Assert.Equal(leader, s.LeaderId));
        Assert.All(statuses, s => Assert.Equal(statuses[0].Term, s.Term));
        // A stable cluster does not keep electing: no term moves while the leader is heard.
        var term = statuses[0].Term;
        cluster.Tick(100);
        Assert.All(Enumerable.Range(1, 3), id => Assert.Equal(term, cluster.Status(id).Term));
        Assert.Equal(leader, cluster.Leader());
    }

    [Fact]
    public void A_leader_cut_off_is_replaced_and_rejoins_as_a_follower()
    {
        var (cluster, leader) = SimScenario.WithLeader(3, nameof(ElectionScenarioTests));
        var oldTerm = cluster.Status(leader).Term;

        cluster.Isolate(leader);
        var newLeader = ReplicationScenarioTests.ElectAmong(cluster, [.. cluster.Others(leader)]);
        Assert.True(cluster.Status(newLeader).Term > oldTerm);

        cluster.Heal();
        cluster.Tick(40);
        var leaders = Enumerable.Range(1, 3).Where(id => cluster.Status(id).Role == RaftRole.Leader).ToList();
        Assert.Single(leaders);
        Assert.NotEqual(RaftRole.Leader, cluster.Status(leader).Role);
        Assert.Equal(cluster.Status(leaders[0]).Term, cluster.Status(leader).Term);
        var command = cluster.ProposeOnLeader();
        cluster.WaitApplied(command);
    }

    [Fact]
    public void No_leader_is_elected_without_a_majority()
    {
        var (cluster, leader) = SimScenario.WithLeader(5, nameof(ElectionScenarioTests));
        var followers = cluster.Others(leader).ToArray();
        cluster.Crash(leader);
        cluster.Crash(followers[0]);
        cluster.Crash(followers[1]);

        cluster.Tick(200);
        Assert.Null(cluster.Leader());

        cluster.Restart(followers[0]);
        var newLeader = cluster.ElectLeader();
        Assert.Contains(newLeader, new[] { followers[0], followers[2], followers[3] });
    }

    [Fact]
    public void Pre_vote_keeps_a_partitioned_node_from_raising_the_healthy_leaders_term()
    {
        var (cluster, leader) = SimScenario.WithLeader(3, nameof(ElectionScenarioTests), o => o with { PreVote = true, CheckQuorum = true });
        var term = cluster.Status(leader).Term;
        var outsider = cluster.Others(leader).First();

        cluster.Isolate(outsider);
        cluster.Tick(200);
        Assert.Equal(term, cluster.Status(outsider).Term); // pre-votes failed; its term never moved

        cluster.Heal();
        cluster.Tick(50);
        Assert.Equal(leader, cluster.Leader());
        Assert.Equal(term, cluster.Status(leader).Term);
        Assert.Equal(leader, cluster.Status(outsider).LeaderId);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void A_node_that_raised_its_term_alone_rejoins_the_cluster(bool preVote, bool checkQuorum)
    {
        var (cluster, leader) = SimScenario.WithLeader(3, nameof(ElectionScenarioTests), o => o with { PreVote = preVote, CheckQuorum = checkQuorum });
        var outsider = cluster.Others(leader).First();
        cluster.Isolate(outsider);
        cluster.Tick(200);
        cluster.Heal();

        // Whatever the options, the cluster must converge again: one leader, and the outsider applies new commands.
        cluster.Tick(100);
        var command = cluster.ProposeOnLeader();
        cluster.WaitApplied(command, maxRounds: 300);
        Assert.Contains(command, cluster.Applied(outsider));
    }

    [Fact]
    public void Check_quorum_makes_an_isolated_leader_step_down()
    {
        var (cluster, leader) = SimScenario.WithLeader(5, nameof(ElectionScenarioTests), o => o with { CheckQuorum = true });
        cluster.Isolate(leader);
        var electionTicks = cluster.Settings.Raft.ElectionTicks;
        cluster.Tick(3 * electionTicks);
        Assert.NotEqual(RaftRole.Leader, cluster.Status(leader).Role);

        // And reads on it are refused rather than answered stale.
        var read = cluster.RequestRead(leader);
        cluster.Tick(3 * electionTicks);
        var outcome = cluster.ReadOutcome(leader, read);
        Assert.True(outcome is null || outcome.Rejected is not null, $"an isolated former leader served a read: {outcome}");
    }

    [Fact]
    public void Messages_of_another_cluster_are_ignored()
    {
        var (cluster, leader) = SimScenario.WithLeader(3, nameof(ElectionScenarioTests));
        var follower = cluster.Others(leader).First();
        var term = cluster.Status(follower).Term;
        var vote = cluster.Node(follower).Disk.HardState.VotedFor;
        var stranger = cluster.Settings.ClusterId + 1;

        cluster.Inject(new RequestVote(stranger, leader, follower, term + 50, false, 1_000, term + 49, LeadershipTransfer: true));
        cluster.Inject(new AppendEntries(stranger, leader, follower, term + 50, 0, 0, [], 0));
        cluster.Stabilize();

        Assert.Equal(term, cluster.Status(follower).Term);
        Assert.Equal(leader, cluster.Status(follower).LeaderId);
        Assert.Equal(new HardState(term, vote), cluster.Node(follower).Disk.HardState);
    }
}
