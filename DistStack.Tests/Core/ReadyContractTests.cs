using DistStack.Actors.Raft;

namespace DistStack.Tests.Core;

/// <summary>The Ready/Advance persistence contract (Ready.cs): what must be durable before what leaves.</summary>
public sealed class ReadyContractTests
{
    private static LogEntry E(long index, long term) => new(index, term, EntryKind.Command, [(byte)index]);

    [Fact]
    public void Only_one_ready_is_outstanding_at_a_time()
    {
        var core = Solo.Core(1, 1);
        core.Campaign();
        var ready = core.GetReady();
        Assert.False(core.HasReady());
        Assert.Throws<InvalidOperationException>(() => core.GetReady());
        core.Advance(ready);
        Assert.True(core.HasReady()); // the new leader's no-op
        Assert.Throws<InvalidOperationException>(() => core.Advance(ready));
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
