using DistStack.Actors.Raft;

namespace DistStack.Tests.Core;

/// <summary>The Ready/Advance persistence contract (Ready.cs): what must be durable before what leaves.</summary>
public sealed class ReadyContractTests
{
    private static LogEntry E(long index, long term) => new(index, term, EntryKind.Command, [(byte)index]);

    [Fact]
    public void Several_readies_may_be_outstanding_and_are_advanced_oldest_first()
    {
        var core = Solo.Leader();
        while (core.HasReady()) Solo.Drain(core);
        core.Propose([1]);
        var first = core.GetReady();
        core.Propose([2]);
        Assert.True(core.HasReady()); // the second proposal need not wait for the first write
        var second = core.GetReady();
        Assert.Equal([first.Entries[^1].Index + 1], second.Entries.Select(e => e.Index)); // each entry handed out once
        Assert.Equal(2, core.OutstandingReadies);
        Assert.Throws<InvalidOperationException>(() => core.Advance(second));
        core.Advance(first);
        core.Advance(second);
        Assert.Throws<InvalidOperationException>(() => core.Advance(second));
        Assert.Equal(0, core.OutstandingReadies);
    }

    [Fact]
    public void A_leader_commits_through_followers_while_its_own_write_is_in_flight_but_applies_only_once_durable()
    {
        var core = Solo.Leader(voters: 3);
        while (core.HasReady()) Solo.Drain(core);
        var index = ((ProposeResult.Accepted)core.Propose([7])).Index;
        var writing = core.GetReady();
        var term = core.Status.Term;
        foreach (var follower in new[] { 2, 3 })
            core.Step(new AppendEntriesResponse(Solo.ClusterId, follower, 1, term, true, index, 0, 0));

        Assert.Equal(index, core.Status.CommitIndex); // two followers are a quorum of three without the leader's disk
        var next = core.GetReady();
        Assert.DoesNotContain(next.CommittedEntries, e => e.Index == index); // not durable here yet: never applied before it is
        Assert.Contains(next.Messages, m => m is AppendEntries a && a.LeaderCommit == index); // followers learn the commit now

        core.Advance(writing);
        core.Advance(next);
        Assert.Equal([index], Solo.Drain(core).CommittedEntries.Select(e => e.Index));
    }

    [Fact]
    public void A_leaders_snapshot_is_handed_out_alone()
    {
        var core = Solo.Core(2, 3);
        core.Step(new AppendEntries(Solo.ClusterId, 1, 2, 1, 1, 0, [E(2, 1)], 1));
        var writing = core.GetReady();
        var metadata = new SnapshotMetadata(10, 1, ClusterConfiguration.Of(1, 2, 3));
        core.Step(new InstallSnapshot(Solo.ClusterId, 1, 2, 1, metadata, 0, [1, 2, 3], Done: true));
        Assert.True(core.HasPendingSnapshot);
        Assert.False(core.HasReady()); // not while an earlier Ready is outstanding
        Assert.Throws<InvalidOperationException>(() => core.GetReady());

        core.Advance(writing);
        var installing = core.GetReady();
        Assert.NotNull(installing.Snapshot);
        core.Step(new AppendEntries(Solo.ClusterId, 1, 2, 1, 10, 1, [E(11, 1)], 10));
        Assert.False(core.HasReady()); // nothing after it either, until it is advanced
        core.Advance(installing);
        Assert.Equal([11L], Solo.Drain(core).Entries.Select(e => e.Index));
    }

    [Fact]
    public void Hard_state_is_in_a_ready_only_when_term_or_vote_changed()
    {
        var core = Solo.Core(2, 3);
        core.Step(new AppendEntries(Solo.ClusterId, 1, 2, 1, 1, 0, [E(2, 1)], 1));
        Assert.Equal(new HardState(1, 0), Solo.Drain(core).HardState);
        core.Step(new AppendEntries(Solo.ClusterId, 1, 2, 1, 2, 1, [E(3, 1)], 1));
        Assert.Null(Solo.Drain(core).HardState);
    }

    [Fact]
    public void A_truncation_while_a_ready_is_outstanding_is_still_reported_to_the_shell()
    {
        var core = Solo.Core(2, 3);
        Solo.Drain(core);
        core.Step(new AppendEntries(Solo.ClusterId, 1, 2, 1, 1, 0, [E(2, 1), E(3, 1), E(4, 1)], 1));
        var first = core.GetReady();
        Assert.Equal([2L, 3L, 4L], first.Entries.Select(e => e.Index));

        // A new leader overwrites 3 and 4 before the shell finished writing them.
        core.Step(new AppendEntries(Solo.ClusterId, 3, 2, 2, 2, 1, [E(3, 2)], 1));
        core.Advance(first);

        var second = Solo.Drain(core);
        Assert.Equal([(3L, 2L)], second.Entries.Select(e => (e.Index, e.Term)));
        Assert.True(second.Entries[0].Index <= 4); // the shell truncates its 3 and 4
        Assert.Equal(3, core.Status.LastLogIndex);
        Assert.False(core.HasReady());
    }

    [Fact]
    public void A_candidate_that_crashes_before_its_vote_is_durable_has_not_voted()
    {
        var cluster = new TestCluster(1);
        cluster[1].Campaign();
        _ = cluster[1].GetReady(); // crash before carrying it out
        cluster.Restart(1);
        Assert.Equal((0L, RaftRole.Follower), (cluster[1].Status.Term, cluster[1].Status.Role));
    }

    [Fact]
    public void A_candidate_waits_for_its_slow_vote_write_instead_of_starting_election_after_election()
    {
        var core = Solo.Core(1, 1);
        core.Campaign();
        var voteWrite = core.GetReady();
        Assert.Equal(new HardState(1, 1), voteWrite.HardState);
        for (var i = 0; i < 100; i++) core.Tick(); // ten election timeouts pass while the vote is being written
        Assert.Equal((1L, RaftRole.Candidate), (core.Status.Term, core.Status.Role));

        core.Advance(voteWrite);
        Assert.Equal((1L, RaftRole.Leader), (core.Status.Term, core.Status.Role)); // a single voter wins with its own vote
    }

    [Fact]
    public void A_leader_sends_its_entries_before_its_own_write_is_durable()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Propose(1, "x");
        var ready = cluster[1].GetReady();
        Assert.NotEmpty(ready.Entries);
        Assert.Contains(ready.Messages, m => m is AppendEntries a && a.Entries.Count > 0);
        Assert.Empty(ready.MessagesAfterDurable);
        cluster[1].Advance(ready);
    }

    [Fact]
    public void Entries_are_applied_exactly_once_in_order_across_many_readies()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        for (var i = 0; i < 50; i++)
        {
            cluster.Propose(1, $"c{i}");
            if (i % 7 == 0) cluster.Stabilize();
        }
        cluster.Stabilize();
        cluster.TickAll(1);
        Assert.All(cluster.Disks.Values, d => Assert.Equal(Enumerable.Range(1, 52).Select(i => (long)i), d.Applied.Select(e => e.Index)));
    }

    [Fact]
    public void Configuration_comes_from_the_latest_configuration_entry_in_the_log()
    {
        var entries = Solo.Log(3, [1]);
        entries.Add(new LogEntry(3, 1, EntryKind.Configuration, ClusterConfiguration.Of(1, 2, 3, 4, 5).Encode()));
        var core = new RaftCore(Solo.Options(1), new FixedRandom(), new RaftDurableState(new HardState(1, 0), null, entries));
        Assert.Equal(ClusterConfiguration.Of(1, 2, 3, 4, 5), core.Status.Configuration);

        core.Campaign();
        var requests = Solo.Drain(core).Messages.OfType<RequestVote>().Select(r => r.To).Order();
        Assert.Equal([2, 3, 4, 5], requests);
        core.Step(new RequestVoteResponse(Solo.ClusterId, 2, 1, 2, false, true));
        Assert.Equal(RaftRole.Candidate, core.Status.Role); // 2 of 5 is no quorum
        core.Step(new RequestVoteResponse(Solo.ClusterId, 3, 1, 2, false, true));
        Assert.Equal(RaftRole.Leader, core.Status.Role);
    }

    [Fact]
    public void An_acknowledgement_queued_before_a_truncation_is_withdrawn_rather_than_sent_untrue()
    {
        var core = Solo.Core(2, 3);
        Solo.Drain(core);
        core.Step(new AppendEntries(Solo.ClusterId, 1, 2, 1, 1, 0, [E(2, 1)], 1));
        var first = core.GetReady(); // the write of 2/1 is in flight
        core.Step(new AppendEntries(Solo.ClusterId, 1, 2, 1, 1, 0, [E(2, 1)], 1)); // a duplicate: ack queued
        core.Step(new AppendEntries(Solo.ClusterId, 3, 2, 2, 1, 0, [E(2, 2)], 1)); // new leader overwrites 2
        core.Advance(first);

        var second = Solo.Drain(core);
        Assert.Equal([(2L, 2L)], second.Entries.Select(e => (e.Index, e.Term)));
        var acks = second.MessagesAfterDurable.OfType<AppendEntriesResponse>().ToList();
        Assert.DoesNotContain(acks, a => a.To == 1 && a.Success && a.MatchIndex >= 2);
        Assert.Contains(acks, a => a.To == 3 && a.Success && a.MatchIndex == 2);
    }
}
