using DistStack.Actors.Raft;

namespace DistStack.Tests.Core;

/// <summary>Leader election (§5.2), vote rules (§5.4.1), pre-vote (§9.6), check-quorum and the lease (§4.2.3).</summary>
public sealed class ElectionTests
{
    [Fact]
    public void Election_timeout_is_drawn_from_election_ticks_to_twice_that()
    {
        var random = new FixedRandom(3);
        var core = Solo.Core(1, 3, random: random);
        Assert.All(random.Bounds, b => Assert.Equal(10, b));

        for (var i = 0; i < 12; i++) core.Tick();
        Assert.Equal(RaftRole.Follower, core.Status.Role);
        core.Tick(); // 10 + 3 ticks
        Assert.Equal(RaftRole.Candidate, core.Status.Role);
    }

    [Fact]
    public void A_follower_that_hears_nothing_starts_an_election_in_a_new_term_and_votes_for_itself()
    {
        var core = Solo.Core(1, 3);
        Solo.TickUntil(core, c => c.Status.Role == RaftRole.Candidate);

        var ready = Solo.Drain(core);
        Assert.Equal(new HardState(1, 1), ready.HardState);
        var requests = ready.Messages.OfType<RequestVote>().ToList();
        Assert.Equal([2, 3], requests.Select(r => r.To).Order());
        Assert.All(requests, r => Assert.Equal((1L, false, 1L, 0L), (r.Term, r.PreVote, r.LastLogIndex, r.LastLogTerm)));
    }

    [Fact]
    public void A_candidate_that_receives_votes_from_a_majority_becomes_leader_and_appends_a_no_op()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);

        Assert.All(cluster.Nodes.Values, n => Assert.Equal(1, n.Status.LeaderId));
        Assert.All(cluster.Disks.Values, d => Assert.Equal(EntryKind.NoOp, d.Entries[^1].Kind));
        Assert.All(cluster.Nodes.Values, n => Assert.Equal(2, n.Status.CommitIndex));
    }

    [Fact]
    public void A_candidate_counts_its_own_vote_only_once_its_vote_is_durable()
    {
        var core = Solo.Core(1, 1);
        core.Campaign();
        Assert.Equal(RaftRole.Candidate, core.Status.Role);

        var ready = core.GetReady();
        Assert.Equal(new HardState(1, 1), ready.HardState);
        Assert.Equal(RaftRole.Candidate, core.Status.Role);
        core.Advance(ready);
        Assert.Equal(RaftRole.Leader, core.Status.Role);
    }

    [Fact]
    public void A_vote_is_granted_only_after_it_is_durable()
    {
        var core = Solo.Core(2, 3);
        core.Step(new RequestVote(Solo.ClusterId, 1, 2, 1, false, 1, 0, false));

        var ready = core.GetReady();
        Assert.Equal(new HardState(1, 1), ready.HardState);
        Assert.Empty(ready.Messages);
        var vote = Assert.IsType<RequestVoteResponse>(Assert.Single(ready.MessagesAfterDurable));
        Assert.True(vote.Granted);
    }

    [Fact]
    public void Each_server_votes_for_at_most_one_candidate_in_a_term()
    {
        var core = Solo.Core(2, 3);
        core.Step(new RequestVote(Solo.ClusterId, 1, 2, 1, false, 1, 0, false));
        core.Step(new RequestVote(Solo.ClusterId, 3, 2, 1, false, 1, 0, false));
        core.Step(new RequestVote(Solo.ClusterId, 1, 2, 1, false, 1, 0, false)); // a retry is granted again

        var votes = Solo.Drain(core).MessagesAfterDurable.Cast<RequestVoteResponse>().ToList();
        Assert.Equal([(1, true), (3, false), (1, true)], votes.Select(v => (v.To, v.Granted)));
    }

    [Theory]
    [InlineData(2, 3, false)] // candidate's last term lower
    [InlineData(2, 4, false)] // same last term, shorter log
    [InlineData(2, 5, true)]  // same last term, same length
    [InlineData(3, 2, true)]  // higher last term wins even with a shorter log
    public void A_voter_denies_its_vote_if_its_own_log_is_more_up_to_date(long lastTerm, long lastIndex, bool granted)
    {
        var core = Solo.Core(2, 3, terms: [1, 2, 2, 2]); // last index 5, last term 2
        core.Step(new RequestVote(Solo.ClusterId, 1, 2, 5, false, lastIndex, lastTerm, false));
        var vote = (RequestVoteResponse)Solo.Drain(core).MessagesAfterDurable.Single();
        Assert.Equal(granted, vote.Granted);
        Assert.Equal(5, core.Status.Term); // the term moves either way (§5.1)
    }

    [Fact]
    public void A_leader_that_sees_a_higher_term_becomes_follower()
    {
        var core = Solo.Leader();
        core.Step(new AppendEntriesResponse(Solo.ClusterId, 2, 1, 7, false, 0, 0, 0));
        Assert.Equal((RaftRole.Follower, 7L, (int?)null), (core.Status.Role, core.Status.Term, core.Status.LeaderId));
    }

    [Fact]
    public void A_stale_leader_is_told_the_newer_term()
    {
        var core = Solo.Core(2, 3, term: 5, options: Solo.Options(2, preVote: true));
        core.Step(new Heartbeat(Solo.ClusterId, 1, 2, 3, 0, 0));
        var reply = Assert.IsType<AppendEntriesResponse>(Solo.Drain(core).AllMessages().Single());
        Assert.Equal((5L, false), (reply.Term, reply.Success));
    }

    [Fact]
    public void Pre_vote_does_not_change_anyones_term_or_vote()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Isolate(3);
        cluster.TickAll(60); // node 3 keeps pre-campaigning, alone

        Assert.Equal(RaftRole.PreCandidate, cluster[3].Status.Role);
        Assert.Equal(1, cluster[3].Status.Term);
        Assert.DoesNotContain(cluster.Sent, m => m is RequestVote { PreVote: false, From: 3 });

        cluster.Heal();
        cluster.TickAll(3);
        Assert.Equal(RaftRole.Leader, cluster[1].Status.Role);
        Assert.All(cluster.Nodes.Values, n => Assert.Equal((1L, (int?)1), (n.Status.Term, n.Status.LeaderId)));
    }

    [Fact]
    public void A_pre_vote_is_answered_without_recording_a_vote()
    {
        var core = Solo.Core(2, 3, term: 1);
        core.Step(new RequestVote(Solo.ClusterId, 3, 2, 2, true, 1, 0, false));
        var ready = Solo.Drain(core);

        Assert.Null(ready.HardState);
        var reply = Assert.IsType<RequestVoteResponse>(Assert.Single(ready.Messages));
        Assert.Equal((2L, true, true), (reply.Term, reply.PreVote, reply.Granted));
        Assert.Equal(1, core.Status.Term);
    }

    [Fact]
    public void A_pre_candidate_becomes_candidate_only_after_a_quorum_of_pre_votes()
    {
        var core = Solo.Core(1, 3, options: Solo.Options(1, preVote: true));
        core.Campaign();
        Assert.Equal((RaftRole.PreCandidate, 0L), (core.Status.Role, core.Status.Term));
        var requests = Solo.Drain(core).Messages.OfType<RequestVote>().ToList();
        Assert.All(requests, r => Assert.Equal((1L, true), (r.Term, r.PreVote)));

        core.Step(new RequestVoteResponse(Solo.ClusterId, 2, 1, 1, true, true));
        Assert.Equal((RaftRole.Candidate, 1L), (core.Status.Role, core.Status.Term));
    }

    [Fact]
    public void A_rejected_pre_candidate_returns_to_follower_in_the_same_term()
    {
        var core = Solo.Core(1, 3, term: 4, options: Solo.Options(1, preVote: true));
        core.Campaign();
        core.Step(new RequestVoteResponse(Solo.ClusterId, 2, 1, 4, true, false));
        core.Step(new RequestVoteResponse(Solo.ClusterId, 3, 1, 4, true, false));
        Assert.Equal((RaftRole.Follower, 4L), (core.Status.Role, core.Status.Term));
    }

    [Fact]
    public void Check_quorum_makes_a_leader_cut_off_from_a_majority_step_down()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Isolate(1);
        cluster.TickAll(9);
        Assert.Equal(RaftRole.Leader, cluster[1].Status.Role);
        cluster.TickAll(11);
        Assert.Equal(RaftRole.Follower, cluster[1].Status.Role);
    }

    [Fact]
    public void A_leader_hearing_from_a_majority_keeps_leading()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Isolate(3);
        cluster.TickAll(50);
        Assert.Equal(RaftRole.Leader, cluster[1].Status.Role);
        Assert.Equal(1, cluster[1].Status.Term);
    }

    [Fact]
    public void A_follower_that_heard_from_its_leader_recently_ignores_vote_requests()
    {
        // Election timeout 19 ticks: it will not campaign itself during this test.
        var core = Solo.Core(2, 3, term: 1, options: Solo.Options(2, checkQuorum: true), random: new FixedRandom(9));
        core.Step(new Heartbeat(Solo.ClusterId, 1, 2, 1, 1, 0));
        Solo.Drain(core);

        core.Step(new RequestVote(Solo.ClusterId, 3, 2, 2, false, 1, 0, false));
        core.Step(new RequestVote(Solo.ClusterId, 3, 2, 2, true, 1, 0, false));
        Assert.True(Solo.Drain(core).IsEmpty);
        Assert.Equal(1, core.Status.Term);

        for (var i = 0; i < 10; i++) core.Tick(); // a minimum election timeout without the leader
        core.Step(new RequestVote(Solo.ClusterId, 3, 2, 2, false, 1, 0, false));
        var vote = (RequestVoteResponse)Solo.Drain(core).MessagesAfterDurable.Single();
        Assert.True(vote.Granted);
    }

    [Fact]
    public void A_leadership_transfer_campaign_is_not_ignored_by_the_lease()
    {
        var core = Solo.Core(2, 3, term: 1, options: Solo.Options(2, checkQuorum: true));
        core.Step(new Heartbeat(Solo.ClusterId, 1, 2, 1, 1, 0));
        Solo.Drain(core);

        core.Step(new RequestVote(Solo.ClusterId, 3, 2, 2, false, 1, 0, LeadershipTransfer: true));
        var vote = (RequestVoteResponse)Solo.Drain(core).MessagesAfterDurable.Single();
        Assert.True(vote.Granted);
        Assert.Equal(2, core.Status.Term);
    }

    [Fact]
    public void Messages_of_another_cluster_or_for_another_node_are_dropped()
    {
        var core = Solo.Core(2, 3);
        Solo.Drain(core); // applies the bootstrap entry
        core.Step(new RequestVote(99, 1, 2, 1, false, 1, 0, false));
        core.Step(new RequestVote(Solo.ClusterId, 1, 3, 1, false, 1, 0, false));
        Assert.False(core.HasReady());
        Assert.Equal(0, core.Status.Term);
    }

    [Fact]
    public void Every_outgoing_message_carries_the_cluster_id()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Propose(1, "x");
        cluster.TickAll(2);
        Assert.All(cluster.Sent, m => Assert.Equal(TestCluster.ClusterId, m.ClusterId));
    }

    [Fact]
    public void A_new_leader_reports_role_term_and_leader_in_soft_state()
    {
        var core = Solo.Core(1, 1);
        core.Campaign();
        var first = Solo.Drain(core);
        Assert.Equal(new SoftState(RaftRole.Candidate, 1, null), first.SoftState);
        var second = Solo.Drain(core);
        Assert.Equal(new SoftState(RaftRole.Leader, 1, 1), second.SoftState);
        Assert.Null(Solo.Drain(core).SoftState);
    }

    [Fact]
    public void A_candidate_leads_only_once_its_own_term_and_vote_are_durable_even_with_a_quorum_of_others()
    {
        var core = Solo.Core(1, 5);
        core.Campaign();
        var ready = core.GetReady();
        foreach (var voter in new[] { 2, 3, 4 })
            core.Step(new RequestVoteResponse(Solo.ClusterId, voter, 1, 1, false, true));
        Assert.Equal(RaftRole.Candidate, core.Status.Role);
        core.Advance(ready);
        Assert.Equal(RaftRole.Leader, core.Status.Role);
    }

    [Fact]
    public void A_candidate_that_hears_from_a_leader_of_its_term_becomes_its_follower()
    {
        var core = Solo.Core(2, 3);
        core.Campaign();
        Solo.Drain(core);
        core.Step(new AppendEntries(Solo.ClusterId, 3, 2, 1, 1, 0, [], 1));
        Assert.Equal((RaftRole.Follower, 1L, (int?)3), (core.Status.Role, core.Status.Term, core.Status.LeaderId));
    }

    [Fact]
    public void A_candidate_rejects_an_append_of_an_older_term_and_stays_candidate()
    {
        var core = Solo.Core(2, 3, term: 4);
        core.Campaign();
        Solo.Drain(core);
        core.Step(new AppendEntries(Solo.ClusterId, 3, 2, 4, 1, 0, [], 1));
        Assert.Equal((RaftRole.Candidate, 5L), (core.Status.Role, core.Status.Term));
    }

    [Fact]
    public void A_candidate_without_a_winner_starts_a_new_election_in_the_next_term_after_a_timeout()
    {
        var core = Solo.Core(2, 3);
        core.Campaign();
        Solo.Drain(core);
        for (var i = 0; i < 10; i++) core.Tick();
        Assert.Equal((RaftRole.Candidate, 2L), (core.Status.Role, core.Status.Term));
        var requests = Solo.Drain(core).Messages.OfType<RequestVote>().ToList();
        Assert.All(requests, r => Assert.Equal(2, r.Term));
    }

    [Fact]
    public void The_node_whose_randomized_timeout_expires_first_wins_the_election()
    {
        var cluster = new TestCluster(3, o => o with { PreVote = false });
        cluster.TickAll(30); // node 1 draws the shortest timeout (FixedRandom(id - 1))
        Assert.Equal(RaftRole.Leader, cluster[1].Status.Role);
        Assert.Single(cluster.Nodes.Values, n => n.Status.Role == RaftRole.Leader);
    }
}
