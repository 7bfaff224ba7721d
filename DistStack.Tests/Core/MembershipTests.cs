using DistStack.Actors.Raft;

namespace DistStack.Tests.Core;

/// <summary>Single-server membership changes with learners (dissertation §4.1, docs/membership.md).</summary>
public sealed class MembershipTests
{
    private static ConfigurationChangeResult.Accepted Change(TestCluster cluster, int leader, ConfigurationChange change) =>
        Assert.IsType<ConfigurationChangeResult.Accepted>(cluster[leader].ProposeConfigurationChange(change));

    private static ConfigurationRefusal Refusal(RaftCore core, ConfigurationChange change) =>
        Assert.IsType<ConfigurationChangeResult.Refused>(core.ProposeConfigurationChange(change)).Reason;

    /// <summary>Three founders led by 1, and node 4 started blank and added as a learner (committed).</summary>
    private static TestCluster WithLearner4()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.StartBlank(4);
        var added = Change(cluster, 1, ConfigurationChange.AddLearner(4));
        cluster.Stabilize();
        Assert.True(cluster[1].Status.CommitIndex >= added.Index);
        return cluster;
    }

    [Fact]
    public void A_blank_node_added_as_a_learner_receives_the_whole_log_and_applies_it_but_never_campaigns()
    {
        var cluster = WithLearner4();
        cluster.Propose(1, "after");
        cluster.Stabilize();
        cluster.TickAll(1);

        var learner = cluster[4].Status;
        Assert.Equal(Membership.Learner, learner.Membership);
        Assert.Equal(cluster[1].Status.LastLogIndex, learner.LastLogIndex);
        Assert.Equal(cluster[1].Status.CommitIndex, learner.CommitIndex);
        Assert.Equal(cluster.Disks[1].Entries.Select(e => (e.Index, e.Term)), cluster.Disks[4].Entries.Select(e => (e.Index, e.Term)));
        Assert.Equal(ClusterConfiguration.Of(1, 2, 3).WithLearners(4), cluster[2].Status.Configuration);
        Assert.True(cluster[1].IsCaughtUp(4));
        Assert.DoesNotContain(4, cluster[1].Status.MatchIndex.Keys); // hand-over targets: voters only

        // Its leader gone, a learner waits: it never starts an election of its own.
        cluster.Isolate(1);
        cluster.TickAll(100);
        Assert.DoesNotContain(cluster.Sent, m => m is RequestVote { From: 4 });
        Assert.NotEqual(RaftRole.Leader, cluster[4].Status.Role);
        Assert.Contains(new[] { 2, 3 }, id => cluster[id].Status.Role == RaftRole.Leader);
    }

    [Fact]
    public void A_learners_acknowledgement_never_completes_a_commit_quorum()
    {
        var cluster = WithLearner4();
        cluster.Isolate(2);
        cluster.Isolate(3);
        var entry = cluster.Propose(1, "x");
        cluster.Stabilize();
        Assert.Equal(entry.Index, cluster.Disks[4].LastIndex);
        Assert.True(cluster[1].Status.CommitIndex < entry.Index);
    }

    [Fact]
    public void A_leader_that_hears_only_from_its_learner_fails_check_quorum_and_its_reads()
    {
        var cluster = WithLearner4();
        cluster.Isolate(2);
        cluster.Isolate(3);
        cluster[1].ReadIndex(7);
        cluster.TickAll(20);
        Assert.Equal(RaftRole.Follower, cluster[1].Status.Role);
        var read = Assert.Single(cluster.Disks[1].ReadStates, r => r.RequestId == 7);
        Assert.NotNull(read.Rejected);
    }

    [Fact]
    public void Votes_of_learners_are_not_counted()
    {
        var configuration = ClusterConfiguration.Of(1, 2, 3).WithLearners(4, 5);
        var core = new RaftCore(Solo.Options(1), new FixedRandom(),
            new RaftDurableState(HardState.Empty, null, [new LogEntry(1, 0, EntryKind.Configuration, configuration.Encode())]));
        core.Campaign();
        var requests = Solo.Drain(core).Messages.OfType<RequestVote>().ToList();
        Assert.Equal([2, 3], requests.Select(r => r.To).Order());
        core.Step(new RequestVoteResponse(Solo.ClusterId, 4, 1, 1, false, true));
        core.Step(new RequestVoteResponse(Solo.ClusterId, 5, 1, 1, false, true));
        Assert.Equal(RaftRole.Candidate, core.Status.Role);
        core.Step(new RequestVoteResponse(Solo.ClusterId, 2, 1, 1, false, true));
        Assert.Equal(RaftRole.Leader, core.Status.Role);
    }

    [Fact]
    public void A_caught_up_learner_is_promoted_and_then_counts()
    {
        var cluster = WithLearner4();
        cluster.TickAll(1);
        Assert.True(cluster[1].IsCaughtUp(4));
        var promoted = Change(cluster, 1, ConfigurationChange.Promote(4));
        cluster.Stabilize();
        Assert.True(cluster[1].Status.CommitIndex >= promoted.Index);
        Assert.Equal(Membership.Voter, cluster[4].Status.Membership);

        // Four voters: a quorum is three, so 1 and the new voter 4 need one more.
        cluster.Isolate(2);
        cluster.Isolate(3);
        var blocked = cluster.Propose(1, "needs three");
        cluster.Stabilize();
        Assert.True(cluster[1].Status.CommitIndex < blocked.Index);
        cluster.Heal();
        cluster.TickAll(1);
        Assert.True(cluster[1].Status.CommitIndex >= blocked.Index);
    }

    [Fact]
    public void A_learner_that_was_never_heard_from_is_not_promoted()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.StartBlank(4);
        cluster.Isolate(4);
        Change(cluster, 1, ConfigurationChange.AddLearner(4));
        cluster.TickAll(3);
        Assert.False(cluster[1].IsCaughtUp(4));
        Assert.Equal(ConfigurationRefusal.LearnerNotCaughtUp, Refusal(cluster[1], ConfigurationChange.Promote(4)));

        cluster.Heal();
        cluster.TickAll(2);
        Assert.True(cluster[1].IsCaughtUp(4));
    }

    [Fact]
    public void A_learner_far_behind_is_not_caught_up_until_within_one_append()
    {
        var cluster = new TestCluster(3, o => o with { MaxEntriesPerAppend = 4 });
        cluster.Elect(1);
        cluster.StartBlank(4);
        Change(cluster, 1, ConfigurationChange.AddLearner(4));
        cluster.Stabilize();
        cluster.TickAll(1);
        Assert.True(cluster[1].IsCaughtUp(4));

        // Only what a leader hands out before it hears back: 4 stays more than one append behind.
        cluster.Drop = m => m is AppendEntriesResponse { From: 4 };
        for (var i = 0; i < 10; i++) cluster.Propose(1, $"c{i}");
        cluster.Stabilize();
        Assert.False(cluster[1].IsCaughtUp(4));
        cluster.Drop = _ => false;
        cluster.TickAll(2);
        Assert.True(cluster[1].IsCaughtUp(4));
    }

    [Fact]
    public void Only_a_leader_that_committed_its_own_term_proposes_and_only_one_change_at_a_time()
    {
        var follower = new TestCluster(3);
        follower.Elect(1);
        Assert.Equal(new ConfigurationChangeResult.NotLeader(1), follower[2].ProposeConfigurationChange(ConfigurationChange.AddLearner(4)));

        // Elected on votes alone: its no-op is not acknowledged, so nothing of its term is committed.
        var fresh = Solo.Leader();
        Assert.Equal(ConfigurationRefusal.OwnTermNotCommitted, Refusal(fresh, ConfigurationChange.AddLearner(4)));

        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.StartBlank(4);
        cluster.StartBlank(5);
        cluster.Isolate(2);
        cluster.Isolate(3);
        var first = Change(cluster, 1, ConfigurationChange.AddLearner(4));
        cluster.Stabilize();
        Assert.Equal(ConfigurationRefusal.ChangeInProgress, Refusal(cluster[1], ConfigurationChange.AddLearner(5)));
        // The same change again is a retry, not a conflict: it names the entry to wait for.
        Assert.Equal(new ConfigurationChangeResult.Unchanged(first.Index),
            cluster[1].ProposeConfigurationChange(ConfigurationChange.AddLearner(4)));
        cluster.Heal();
        cluster.TickAll(1);
        Change(cluster, 1, ConfigurationChange.AddLearner(5));
    }

    [Fact]
    public void Changes_that_make_no_sense_are_refused_and_retries_are_unchanged()
    {
        var cluster = WithLearner4();
        var leader = cluster[1];
        Assert.Equal(ConfigurationRefusal.NotAMember, Refusal(leader, ConfigurationChange.Promote(9)));
        Assert.Equal(ConfigurationRefusal.AlreadyAVoter, Refusal(leader, ConfigurationChange.AddLearner(2)));
        // raftexample's POST /{id} asks for a voter in the end: a voter is its target state, so a retry waits for the
        // entry that made it one (answering at once let the next change meet an uncommitted promotion: 409).
        Assert.IsType<ConfigurationChangeResult.Unchanged>(leader.ProposeConfigurationChange(ConfigurationChange.AddLearner(2, promoteWhenCaughtUp: true)));
        Assert.Equal(ConfigurationRefusal.InvalidNodeId, Refusal(leader, ConfigurationChange.AddLearner(0)));
        Assert.IsType<ConfigurationChangeResult.Unchanged>(leader.ProposeConfigurationChange(ConfigurationChange.AddLearner(4)));
        Assert.IsType<ConfigurationChangeResult.Unchanged>(leader.ProposeConfigurationChange(ConfigurationChange.Promote(2)));
        Assert.IsType<ConfigurationChangeResult.Unchanged>(leader.ProposeConfigurationChange(ConfigurationChange.Remove(9)));
        Assert.Equal(ConfigurationRefusal.InvalidNodeId, Refusal(leader, ConfigurationChange.Remove(-1)));

        cluster[1].TransferLeadership(4); // a learner cannot be elected: no transfer starts
        Assert.IsType<ProposeResult.Accepted>(cluster[1].Propose([1]));

        var single = new TestCluster(1);
        single.Elect(1);
        Assert.Equal(ConfigurationRefusal.LastVoter, Refusal(single[1], ConfigurationChange.Remove(1)));
    }

    [Fact]
    public void A_change_that_leaves_too_few_recently_heard_voters_for_a_quorum_is_refused()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Isolate(3);
        cluster.TickAll(15);
        Assert.Equal(RaftRole.Leader, cluster[1].Status.Role);

        // {1, 3} would need both, and 3 has not been heard from.
        Assert.Equal(ConfigurationRefusal.QuorumAtRisk, Refusal(cluster[1], ConfigurationChange.Remove(2)));
        // {1, 2} has both.
        Change(cluster, 1, ConfigurationChange.Remove(3));
        cluster.Stabilize();
        Assert.Equal(ClusterConfiguration.Of(1, 2), cluster[2].Status.Configuration);
    }

    [Fact]
    public void Promoting_is_refused_when_the_larger_quorum_would_not_be_heard_from()
    {
        // Without check-quorum, so that the leader stays on while 2 and 3 are silent for a whole election timeout.
        var cluster = new TestCluster(3, o => o with { CheckQuorum = false });
        cluster.Elect(1);
        cluster.StartBlank(4);
        Change(cluster, 1, ConfigurationChange.AddLearner(4));
        cluster.Stabilize();
        cluster.Isolate(2);
        cluster.Isolate(3);
        cluster.TickAll(12);
        Assert.Equal(RaftRole.Leader, cluster[1].Status.Role);
        Assert.True(cluster[1].IsCaughtUp(4));
        // Four voters need three, and only 1 and 4 are heard from.
        Assert.Equal(ConfigurationRefusal.QuorumAtRisk, Refusal(cluster[1], ConfigurationChange.Promote(4)));
    }

    [Fact]
    public void A_removed_follower_is_no_longer_replicated_to_and_knows_it_once_committed()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        Change(cluster, 1, ConfigurationChange.Remove(3));
        cluster.Stabilize();
        cluster.TickAll(2);
        Assert.Equal(Membership.NotAMember, cluster[3].Status.Membership);
        var sentBefore = cluster.Sent.Count(m => m.To == 3);
        var write = cluster.Propose(1, "two voters");
        cluster.TickAll(30);
        Assert.Equal(sentBefore, cluster.Sent.Count(m => m.To == 3));
        Assert.True(cluster[1].Status.CommitIndex >= write.Index);
        Assert.DoesNotContain(cluster.Sent, m => m is RequestVote { From: 3 });
    }

    [Fact]
    public void A_leader_that_removes_itself_commits_the_removal_then_hands_over_and_steps_down()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var before = cluster.Propose(1, "before");
        var removal = Change(cluster, 1, ConfigurationChange.Remove(1));
        var sentBeforeRemoval = cluster.Sent.Count;
        cluster.Stabilize();

        Assert.Equal(RaftRole.Follower, cluster[1].Status.Role);
        Assert.Equal(Membership.NotAMember, cluster[1].Status.Membership);
        Assert.Contains(cluster.Sent, m => m is TimeoutNow { From: 1 });
        // The hand-over needs no election timeout.
        var successor = new[] { 2, 3 }.Single(id => cluster[id].Status.Role == RaftRole.Leader);
        Assert.Equal(ClusterConfiguration.Of(2, 3), cluster[successor].Status.Configuration);
        Assert.True(cluster[successor].Status.CommitIndex >= removal.Index);
        Assert.Contains(cluster.Disks[successor].Applied, e => e.Index == before.Index && e.Term == before.Term);

        var after = cluster.Propose(successor, "after");
        cluster.TickAll(40);
        Assert.True(cluster[successor].Status.CommitIndex >= after.Index);
        Assert.DoesNotContain(cluster.Sent.Skip(sentBeforeRemoval), m => m is RequestVote { From: 1 });
        Assert.Equal(RaftRole.Follower, cluster[1].Status.Role);
    }

    [Fact]
    public void A_leader_that_lost_leadership_before_its_removal_committed_still_campaigns_to_commit_it()
    {
        // Two voters: only 1 holds its own removal, so 2 (config {1, 2}) cannot win without 1's vote, which 1 refuses
        // to a shorter log. Unless 1, no voter of its latest configuration {2}, still campaigns (dissertation §4.2.2).
        var cluster = new TestCluster(2);
        cluster.Elect(1);
        cluster.Drop = m => m.To == 2;
        var removal = Change(cluster, 1, ConfigurationChange.Remove(1));
        // Check-quorum: 2 answered during the first round, not during the second.
        cluster.TickAll(25);
        Assert.NotEqual(RaftRole.Leader, cluster[1].Status.Role);
        Assert.Equal(ClusterConfiguration.Of(2), cluster[1].Status.Configuration);

        cluster.Drop = _ => false;
        cluster.TickAll(60);
        Assert.Equal(RaftRole.Leader, cluster[2].Status.Role);
        Assert.Equal(ClusterConfiguration.Of(2), cluster[2].Status.Configuration);
        Assert.True(cluster[2].Status.CommitIndex >= removal.Index);
        Assert.Equal((RaftRole.Follower, Membership.NotAMember), (cluster[1].Status.Role, cluster[1].Status.Membership));
        // Once the removal is committed, 1 no longer campaigns.
        var sent = cluster.Sent.Count;
        cluster.TickAll(40);
        Assert.DoesNotContain(cluster.Sent.Skip(sent), m => m is RequestVote { From: 1 });
    }

    [Fact]
    public void A_non_voter_candidate_wins_only_with_a_quorum_of_its_latest_configuration()
    {
        // 1's log says {2, 3} (its removal, uncommitted); its own vote does not count toward that quorum.
        var removal = ClusterConfiguration.Of(2, 3);
        var entries = Solo.Log(3, [1]);
        entries.Add(new LogEntry(3, 1, EntryKind.Configuration, removal.Encode()));
        var core = new RaftCore(Solo.Options(1), new FixedRandom(), new RaftDurableState(new HardState(1, 0), null, entries));
        core.Campaign();
        var requests = Solo.Drain(core).Messages.OfType<RequestVote>().ToList();
        Assert.Equal([2, 3], requests.Select(r => r.To).Order());
        core.Step(new RequestVoteResponse(Solo.ClusterId, 2, 1, 2, false, true));
        Assert.Equal(RaftRole.Candidate, core.Status.Role);
        core.Step(new RequestVoteResponse(Solo.ClusterId, 3, 1, 2, false, true));
        Assert.Equal(RaftRole.Leader, core.Status.Role);
    }

    [Fact]
    public void A_removed_learner_learns_it_and_the_voters_are_unchanged()
    {
        var cluster = WithLearner4();
        var removal = Change(cluster, 1, ConfigurationChange.Remove(4));
        cluster.Stabilize();
        cluster.TickAll(2);
        Assert.True(cluster[1].Status.CommitIndex >= removal.Index);
        Assert.Equal(ClusterConfiguration.Of(1, 2, 3), cluster[1].Status.Configuration);
        Assert.Equal(Membership.NotAMember, cluster[4].Status.Membership);
        Assert.IsType<ConfigurationChangeResult.Unchanged>(cluster[1].ProposeConfigurationChange(ConfigurationChange.Remove(4)));
    }

    [Fact]
    public void A_learner_added_after_compaction_catches_up_from_the_snapshot()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        for (var i = 0; i < 5; i++) cluster.Propose(1, $"c{i}");
        cluster.Stabilize();
        var applied = cluster[1].Status.AppliedIndex;
        cluster[1].Compact(new SnapshotData(new SnapshotMetadata(applied, 1, ClusterConfiguration.Of(1, 2, 3)), [1, 2, 3]));

        cluster.StartBlank(4);
        Change(cluster, 1, ConfigurationChange.AddLearner(4));
        cluster.Stabilize();
        cluster.TickAll(1);
        Assert.Equal(applied, cluster.Disks[4].Snapshot?.Metadata.LastIncludedIndex);
        Assert.Equal(cluster[1].Status.LastLogIndex, cluster[4].Status.LastLogIndex);
        Assert.Equal(ClusterConfiguration.Of(1, 2, 3).WithLearners(4), cluster[4].Status.Configuration);
        Assert.True(cluster[1].IsCaughtUp(4));
    }

    [Fact]
    public void A_learner_survives_a_restart_and_a_snapshot_keeps_the_learners()
    {
        var cluster = WithLearner4();
        var applied = cluster[1].Status.AppliedIndex;
        var configuration = cluster[1].Status.Configuration;
        cluster[1].Compact(new SnapshotData(new SnapshotMetadata(applied, 1, configuration), []));
        cluster.Restart(1);
        cluster.Restart(4);
        Assert.Equal(configuration, cluster[1].Status.Configuration);
        Assert.Equal(Membership.Learner, cluster[4].Status.Membership);
    }
}
