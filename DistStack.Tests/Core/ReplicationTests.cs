using DistStack.Actors.Raft;

namespace DistStack.Tests.Core;

/// <summary>Log replication (§5.3), the commit rule (§5.4.2), flow control and heartbeats.</summary>
public sealed class ReplicationTests
{
    private static AppendEntries Append(long term, long prevIndex, long prevTerm, long commit, params LogEntry[] entries) =>
        new(Solo.ClusterId, 1, 2, term, prevIndex, prevTerm, entries, commit);

    private static LogEntry E(long index, long term) => new(index, term, EntryKind.Command, [(byte)index]);

    [Fact]
    public void A_follower_rejects_an_append_whose_previous_entry_it_lacks_and_hints_its_log_end()
    {
        var core = Solo.Core(2, 3, terms: [1, 1]); // last index 3
        core.Step(Append(2, 6, 2, 0, E(7, 2)));
        var reply = (AppendEntriesResponse)Solo.Drain(core).MessagesAfterDurable.Single();
        Assert.Equal((false, 6L, 4L, 0L), (reply.Success, reply.MatchIndex, reply.ConflictIndex, reply.ConflictTerm));
    }

    [Fact]
    public void A_follower_rejects_a_mismatching_term_and_hints_the_first_index_of_its_conflicting_term()
    {
        var core = Solo.Core(2, 3, terms: [1, 2, 2, 2]); // indexes 2..5, term 2 from index 3
        core.Step(Append(3, 5, 3, 0, E(6, 3)));
        var reply = (AppendEntriesResponse)Solo.Drain(core).MessagesAfterDurable.Single();
        Assert.Equal((false, 5L, 3L, 2L), (reply.Success, reply.MatchIndex, reply.ConflictIndex, reply.ConflictTerm));
    }

    [Fact]
    public void A_conflicting_entry_and_all_that_follow_it_are_deleted_and_the_shell_truncates_from_there()
    {
        var core = Solo.Core(2, 3, terms: [1, 2, 2, 2]);
        Solo.Drain(core);
        core.Step(Append(3, 3, 2, 0, E(4, 3)));
        var ready = Solo.Drain(core);

        Assert.Equal([(4L, 3L)], ready.Entries.Select(e => (e.Index, e.Term)));
        Assert.True(ready.Entries[0].Index <= 5); // at or before the last persisted index: truncate there
        Assert.Equal(4, core.Status.LastLogIndex);
        var reply = (AppendEntriesResponse)ready.MessagesAfterDurable.Single();
        Assert.Equal((true, 4L), (reply.Success, reply.MatchIndex));
    }

    [Fact]
    public void Entries_already_present_are_not_rewritten()
    {
        var core = Solo.Core(2, 3, terms: [1, 1, 1]);
        Solo.Drain(core);
        core.Step(Append(1, 1, 0, 0, E(2, 1), E(3, 1)));
        var ready = Solo.Drain(core);
        Assert.Empty(ready.Entries);
        Assert.Equal(4, core.Status.LastLogIndex); // a shorter append never truncates a matching log
    }

    [Fact]
    public void A_follower_commits_no_further_than_the_last_new_entry_and_only_durable_entries_are_applied()
    {
        var core = Solo.Core(2, 3);
        Solo.Drain(core);
        core.Step(Append(1, 1, 0, 10, E(2, 1), E(3, 1)));
        Assert.Equal(3, core.Status.CommitIndex);

        var first = core.GetReady();
        Assert.Equal(2, first.Entries.Count);
        Assert.Empty(first.CommittedEntries); // not durable yet
        core.Advance(first);
        var second = Solo.Drain(core);
        Assert.Equal([2L, 3L], second.CommittedEntries.Select(e => e.Index));
        Assert.Equal(3, core.Status.AppliedIndex);
    }

    [Fact]
    public void Append_acknowledgements_leave_only_after_the_entries_are_durable()
    {
        var core = Solo.Core(2, 3);
        core.Step(Append(1, 1, 0, 1, E(2, 1)));
        var ready = Solo.Drain(core);
        Assert.Empty(ready.Messages);
        Assert.IsType<AppendEntriesResponse>(Assert.Single(ready.MessagesAfterDurable));
        Assert.Single(ready.Entries);
    }

    /// <summary>Exchanges messages between a leader (1) and a follower (2) until quiet; counts rejections.</summary>
    private static int Converge(RaftCore leader, RaftCore follower)
    {
        var rejections = 0;
        for (var i = 0; i < 100; i++)
        {
            var moved = false;
            if (leader.HasReady())
            {
                moved = true;
                foreach (var m in Solo.Drain(leader).AllMessages().Where(m => m.To == 2)) follower.Step(m);
            }
            if (follower.HasReady())
            {
                moved = true;
                foreach (var m in Solo.Drain(follower).AllMessages())
                {
                    if (m is AppendEntriesResponse { Success: false }) rejections++;
                    leader.Step(m);
                }
            }
            if (!moved) break;
        }
        return rejections;
    }

    [Fact]
    public void Fast_back_up_skips_the_followers_conflicting_term()
    {
        // Leader of term 5 with log terms [1,1,3,3,3]; follower has [1,1,2,2,2,2,2,2] (a deposed term-2 leader's tail).
        var leader = Solo.Core(1, 3, terms: [1, 1, 3, 3, 3], term: 4);
        leader.Campaign();
        Solo.Drain(leader);
        leader.Step(new RequestVoteResponse(Solo.ClusterId, 3, 1, 5, false, true));
        Assert.Equal(RaftRole.Leader, leader.Status.Role);
        var follower = Solo.Core(2, 3, terms: [1, 1, 2, 2, 2, 2, 2, 2], term: 5);

        var rejections = Converge(leader, follower);
        Assert.Equal(1, rejections); // one hint (term 2 starts at 4) is enough: the leader has no term 2
        Assert.Equal(leader.Status.LastLogIndex, follower.Status.LastLogIndex);
        Assert.Equal(7, follower.Status.CommitIndex); // the leader's no-op of term 5, and its log before it
        Assert.Equal(3, follower.Status.LastLogIndex - 4); // the stale term-2 tail (4..9) is gone
    }

    [Fact]
    public void Batches_are_bounded_in_bytes_but_always_carry_at_least_one_entry()
    {
        var options = Solo.Options(1) with { MaxBytesPerAppend = 300, MaxInflightAppends = 100 };
        var leader = Solo.Leader(3, options: options);
        var probe = Solo.Drain(leader).Messages.OfType<AppendEntries>().Single(a => a.To == 2);
        // While the probe is unanswered nothing more goes out, so the proposals pile up...
        leader.Propose(new byte[100]); // 132 bytes each
        leader.Propose(new byte[100]);
        leader.Propose(new byte[100]);
        leader.Propose(new byte[1000]); // larger than the bound on its own
        Assert.DoesNotContain(Solo.Drain(leader).Messages, m => m is AppendEntries { To: 2 });

        // ...and leave in batches once the follower answers.
        leader.Step(new AppendEntriesResponse(Solo.ClusterId, 2, 1, 1, true, probe.PrevLogIndex + 1, 0, 0));
        var appends = Solo.Drain(leader).Messages.OfType<AppendEntries>().Where(a => a.To == 2 && a.Entries.Count > 0).ToList();
        Assert.Equal([2, 1, 1], appends.Select(a => a.Entries.Count));
        Assert.All(appends.Where(a => a.Entries.Count > 1), a => Assert.True(a.Entries.Sum(e => e.ApproximateSize) <= 300));
        Assert.Equal(1032, appends[^1].Entries.Single().ApproximateSize);
    }

    [Fact]
    public void Batches_are_bounded_in_entries()
    {
        var options = Solo.Options(1) with { MaxEntriesPerAppend = 2 };
        var leader = Solo.Leader(3, options: options);
        var probe = Solo.Drain(leader).Messages.OfType<AppendEntries>().Single(a => a.To == 2);
        for (var i = 0; i < 5; i++) leader.Propose([1]);
        leader.Step(new AppendEntriesResponse(Solo.ClusterId, 2, 1, 1, true, probe.PrevLogIndex + 1, 0, 0));
        var appends = Solo.Drain(leader).Messages.OfType<AppendEntries>().Where(a => a.To == 2 && a.Entries.Count > 0).ToList();
        Assert.Equal([2, 2, 1], appends.Select(a => a.Entries.Count));
    }

    /// <summary>Acknowledges the leader's first append to <paramref name="to"/>, moving it to replicate state.</summary>
    private static void MakeReplicating(RaftCore leader, int to)
    {
        var ready = Solo.Drain(leader);
        var append = ready.Messages.OfType<AppendEntries>().First(a => a.To == to);
        leader.Step(new AppendEntriesResponse(Solo.ClusterId, to, 1, leader.Status.Term, true,
            append.PrevLogIndex + append.Entries.Count, 0, 0));
        Solo.Drain(leader);
    }

    [Fact]
    public void Pipelining_stops_at_the_inflight_window_and_resumes_on_acknowledgement()
    {
        var options = Solo.Options(1) with { MaxEntriesPerAppend = 1, MaxInflightAppends = 3 };
        var leader = Solo.Leader(3, options: options);
        MakeReplicating(leader, 2);
        for (var i = 0; i < 10; i++) leader.Propose([1]);
        var appends = Solo.Drain(leader).Messages.OfType<AppendEntries>().Where(a => a.To == 2).ToList();
        Assert.Equal(3, appends.Count);

        leader.Step(new AppendEntriesResponse(Solo.ClusterId, 2, 1, 1, true, appends[0].Entries[0].Index, 0, 0));
        var more = Solo.Drain(leader).Messages.OfType<AppendEntries>().Where(a => a.To == 2 && a.Entries.Count > 0).ToList();
        Assert.Single(more);
        Assert.Equal(appends[2].Entries[0].Index + 1, more[0].Entries[0].Index);
    }

    [Fact]
    public void A_probing_leader_sends_one_append_at_a_time()
    {
        var leader = Solo.Leader(3);
        var first = Solo.Drain(leader).Messages.OfType<AppendEntries>().Where(a => a.To == 2).ToList();
        Assert.Single(first);
        leader.Propose([1]);
        leader.Propose([2]);
        Assert.DoesNotContain(Solo.Drain(leader).Messages, m => m is AppendEntries { To: 2 });
    }

    [Fact]
    public void A_leader_never_commits_an_entry_of_a_previous_term_by_counting_replicas()
    {
        // Figure 8: node 1 leads term 3 (after term 2), with an entry of term 2 at index 3 replicated to node 2.
        var leader = Solo.Core(1, 3, terms: [1, 2], term: 2);
        leader.Campaign();
        Solo.Drain(leader);
        leader.Step(new RequestVoteResponse(Solo.ClusterId, 3, 1, 3, false, true));
        Assert.Equal((RaftRole.Leader, 3L), (leader.Status.Role, leader.Status.Term));
        Solo.Drain(leader); // our own log (including the no-op at 4) is durable now

        leader.Step(new AppendEntriesResponse(Solo.ClusterId, 2, 1, 3, true, 3, 0, 0));
        Assert.Equal(1, leader.Status.CommitIndex); // index 3 (term 2) is on a majority but not of our term

        leader.Step(new AppendEntriesResponse(Solo.ClusterId, 2, 1, 3, true, 4, 0, 0));
        Assert.Equal(4, leader.Status.CommitIndex); // the no-op of term 3 commits, and index 3 with it
    }

    [Fact]
    public void The_leader_counts_itself_toward_commit_only_once_its_own_write_is_durable()
    {
        var leader = Solo.Leader(3);
        MakeReplicating(leader, 2);
        var accepted = (ProposeResult.Accepted)leader.Propose([7]);

        var ready = leader.GetReady();
        Assert.Contains(ready.Messages, m => m is AppendEntries a && a.Entries.Any(e => e.Index == accepted.Index));
        leader.Step(new AppendEntriesResponse(Solo.ClusterId, 2, 1, 1, true, accepted.Index, 0, 0));
        Assert.True(leader.Status.CommitIndex < accepted.Index); // only one durable copy: node 2's
        Assert.Equal(accepted.Index - 1, leader.Status.MatchIndex[1]);

        leader.Advance(ready);
        Assert.Equal(accepted.Index, leader.Status.CommitIndex);
        Assert.Equal(accepted.Index, leader.Status.MatchIndex[1]);
    }

    [Fact]
    public void Followers_refuse_proposals_and_name_the_leader()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        Assert.Equal(new ProposeResult.NotLeader(1), cluster[2].Propose([1]));
    }

    [Fact]
    public void Proposals_are_replicated_committed_and_applied_everywhere_in_order()
    {
        var cluster = new TestCluster(5);
        cluster.Elect(3);
        for (var i = 0; i < 20; i++) cluster.Propose(3, $"c{i}");
        cluster.Stabilize();
        cluster.TickAll(1);

        var expected = cluster.Disks[3].Applied.Select(e => (e.Index, e.Term)).ToList();
        Assert.Equal(22, expected.Count);
        Assert.All(cluster.Disks.Values, d => Assert.Equal(expected, d.Applied.Select(e => (e.Index, e.Term))));
    }

    [Fact]
    public void Heartbeats_never_tell_a_follower_to_commit_beyond_what_it_is_known_to_hold()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Drop = m => m.To == 3 && m is AppendEntries;
        cluster.Propose(1, "x");
        cluster.TickAll(1);
        var heartbeat = cluster.Sent.OfType<Heartbeat>().Last(h => h.To == 3);
        Assert.Equal(2, heartbeat.Commit); // node 3 matches only up to the no-op
        Assert.Equal(3, cluster[1].Status.CommitIndex);
    }

    [Fact]
    public void A_heartbeat_response_from_a_lagging_follower_brings_it_entries()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        var dropping = true;
        cluster.Drop = m => dropping && m.To == 3 && m is AppendEntries;
        cluster.Propose(1, "x");
        cluster.Stabilize();
        Assert.Equal(2, cluster[3].Status.LastLogIndex);

        dropping = false;
        cluster.TickAll(2);
        Assert.Equal(3, cluster[3].Status.LastLogIndex);
        Assert.Equal(3, cluster[3].Status.CommitIndex);
    }

    [Fact]
    public void Status_reports_every_voters_match_with_the_leaders_own_durable_index()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(2);
        cluster.Propose(2, "x");
        cluster.Stabilize();
        var status = cluster[2].Status;
        Assert.Equal(new Dictionary<int, long> { [1] = 3, [2] = 3, [3] = 3 }, status.MatchIndex);
        Assert.Empty(cluster[1].Status.MatchIndex);
    }

    [Fact]
    public void A_restarted_node_keeps_its_term_vote_and_log_and_catches_up()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Propose(1, "a");
        cluster.Stabilize();
        cluster.Restart(2);
        Assert.Equal((1L, 3L, 1L), (cluster[2].Status.Term, cluster[2].Status.LastLogIndex, cluster[2].Status.CommitIndex));
        cluster.TickAll(2);
        Assert.Equal(3, cluster[2].Status.CommitIndex);
        Assert.Equal(3, cluster.Disks[2].Applied.Count);
    }

    [Fact]
    public void A_malformed_append_is_dropped_without_touching_the_log()
    {
        var core = Solo.Core(2, 3);
        Solo.Drain(core);
        core.Step(Append(1, 1, 0, 0, E(3, 1))); // gap: should start at 2
        core.Step(Append(1, 1, 0, 0, E(2, 5))); // an entry from a future term
        Assert.False(core.HasReady());
        Assert.Equal(1, core.Status.LastLogIndex);
    }

    [Fact]
    public void A_lost_append_in_the_pipeline_is_repaired_by_the_followers_rejection()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Propose(1, "a");
        cluster.Stabilize(); // node 3 is now replicating
        var dropped = false;
        cluster.Drop = m =>
        {
            if (dropped || m is not AppendEntries { To: 3, Entries.Count: > 0 }) return false;
            return dropped = true;
        };
        cluster.Propose(1, "b"); // lost on the way to node 3
        cluster.Propose(1, "c"); // arrives with a gap: rejected, the leader probes back
        cluster.Stabilize();

        Assert.Contains(cluster.Sent, m => m is AppendEntriesResponse { From: 3, Success: false });
        Assert.Equal(5, cluster[3].Status.LastLogIndex);
        cluster.TickAll(1);
        Assert.Equal(["a", "b", "c"], cluster.Disks[3].Applied.Skip(2).Select(e => System.Text.Encoding.UTF8.GetString(e.Data)));
    }
}
