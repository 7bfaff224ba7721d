using DistStack.Actors.Raft;

namespace DistStack.Tests.Core;

/// <summary>Linearizable reads with ReadIndex (dissertation §6.4), on the leader and forwarded by followers.</summary>
public sealed class ReadIndexTests
{
    [Fact]
    public void A_leader_serves_no_read_before_it_has_committed_an_entry_of_its_term()
    {
        var leader = Solo.Leader(3);
        var append = Solo.Drain(leader).Messages.OfType<AppendEntries>().First(a => a.To == 2);
        Assert.True(leader.Status.CommitIndex < leader.Status.LastLogIndex); // the no-op is not committed

        leader.ReadIndex(7);
        var waiting = Solo.Drain(leader);
        Assert.Empty(waiting.ReadStates);
        Assert.Empty(waiting.Messages.OfType<Heartbeat>()); // not even a round: it waits for the no-op

        leader.Step(new AppendEntriesResponse(Solo.ClusterId, 2, 1, 1, true, append.PrevLogIndex + 1, 0, 0));
        var round = Solo.Drain(leader).Messages.OfType<Heartbeat>().ToList();
        Assert.Equal(2, round.Count);
        leader.Step(new HeartbeatResponse(Solo.ClusterId, 3, 1, 1, round[0].ReadContext));
        Assert.Equal([new ReadState(7, 2)], Solo.Drain(leader).ReadStates); // the no-op's index
    }

    [Fact]
    public void A_read_is_confirmed_only_by_a_heartbeat_round_started_after_it_arrived()
    {
        var leader = ElectedLeader();
        leader.Tick(); // round 1 starts before the read
        var round1 = Solo.Drain(leader).Messages.OfType<Heartbeat>().ToList();
        leader.ReadIndex(9);
        Assert.Empty(Solo.Drain(leader).Messages.OfType<Heartbeat>()); // one round out at a time: the read waits for it

        leader.Step(new HeartbeatResponse(Solo.ClusterId, 2, 1, 1, round1[0].ReadContext));
        var afterRound1 = Solo.Drain(leader);
        Assert.Empty(afterRound1.ReadStates); // round 1 proves nothing about a read that arrived after it started
        var round2 = afterRound1.Messages.OfType<Heartbeat>().ToList();
        Assert.Equal(2, round2.Count); // round 1 confirmed: the read's own round starts at once
        Assert.True(round2[0].ReadContext > round1[0].ReadContext);

        leader.Step(new HeartbeatResponse(Solo.ClusterId, 3, 1, 1, round1[0].ReadContext));
        Assert.Empty(Solo.Drain(leader).ReadStates);

        leader.Step(new HeartbeatResponse(Solo.ClusterId, 2, 1, 1, round2[0].ReadContext));
        Assert.Equal([new ReadState(9, 2)], Solo.Drain(leader).ReadStates);
    }

    [Fact]
    public void Many_reads_share_one_heartbeat_round_and_reads_arriving_meanwhile_share_the_next()
    {
        var leader = ElectedLeader();
        leader.ReadIndex(1);
        leader.ReadIndex(2);
        leader.ReadIndex(3);
        var first = Solo.Drain(leader).Messages.OfType<Heartbeat>().ToList();
        Assert.Equal(2, first.Count); // one round: one heartbeat per follower

        leader.ReadIndex(4); // arrive after the first round started: they need the next one, which waits for the first
        leader.ReadIndex(5);
        Assert.Empty(Solo.Drain(leader).Messages.OfType<Heartbeat>());

        leader.Step(new HeartbeatResponse(Solo.ClusterId, 3, 1, 1, first[0].ReadContext));
        var confirmed = Solo.Drain(leader);
        Assert.Equal([1L, 2L, 3L], confirmed.ReadStates.Select(r => r.RequestId));
        var second = confirmed.Messages.OfType<Heartbeat>().ToList();
        Assert.Equal(2, second.Count);

        leader.Step(new HeartbeatResponse(Solo.ClusterId, 2, 1, 1, second[0].ReadContext));
        Assert.Equal([4L, 5L], Solo.Drain(leader).ReadStates.Select(r => r.RequestId));
    }

    [Fact]
    public void A_round_whose_echoes_are_lost_holds_reads_back_only_until_the_next_heartbeat()
    {
        var leader = ElectedLeader();
        leader.ReadIndex(1);
        Assert.Equal(2, Solo.Drain(leader).Messages.OfType<Heartbeat>().Count()); // its echoes never come
        leader.ReadIndex(2);
        Assert.Empty(Solo.Drain(leader).Messages.OfType<Heartbeat>());

        Heartbeat[] next = [];
        for (var tick = 0; tick < 10 && next.Length == 0; tick++)
        {
            leader.Tick();
            next = Solo.Drain(leader).Messages.OfType<Heartbeat>().ToArray();
        }
        Assert.Equal(2, next.Length); // the heartbeat timer starts a round anyway
        leader.Step(new HeartbeatResponse(Solo.ClusterId, 2, 1, 1, next[0].ReadContext));
        Assert.Equal([1L, 2L], Solo.Drain(leader).ReadStates.Select(r => r.RequestId));
    }

    [Fact]
    public void A_single_voter_answers_reads_at_once()
    {
        var core = Solo.Core(1, 1);
        core.Campaign();
        Solo.Drain(core);
        Solo.Drain(core); // the no-op is durable and so committed
        core.ReadIndex(5);
        Assert.Equal([new ReadState(5, 2)], Solo.Drain(core).ReadStates);
    }

    [Fact]
    public void A_follower_reads_through_the_leader()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Propose(1, "w");
        cluster.Stabilize();
        cluster[2].ReadIndex(11);
        cluster.Stabilize();

        Assert.Contains(cluster.Sent, m => m is ReadIndexRequest { From: 2, To: 1, RequestId: 11 });
        Assert.Equal([new ReadState(11, 3)], cluster.Disks[2].ReadStates);
        Assert.Empty(cluster.Disks[1].ReadStates);
    }

    [Fact]
    public void A_follower_forwards_its_reads_in_batches_one_batch_at_a_time()
    {
        var follower = Solo.Core(2, 3);
        follower.Step(new Heartbeat(Solo.ClusterId, 1, 2, 1, 0, 1)); // learns leader 1 in term 1
        Solo.Drain(follower);
        follower.ReadIndex(11);
        follower.ReadIndex(12);
        var first = Assert.Single(Solo.Drain(follower).Messages.OfType<ReadIndexRequest>());
        Assert.Equal(11, first.RequestId); // a batch goes under its first read's id

        follower.ReadIndex(13); // arrives while the batch is out: waits for its answer, then goes in the next batch
        follower.ReadIndex(14);
        Assert.Empty(Solo.Drain(follower).Messages.OfType<ReadIndexRequest>());

        follower.Step(new ReadIndexResponse(Solo.ClusterId, 1, 2, 1, first.RequestId, 7, null));
        var answered = Solo.Drain(follower);
        Assert.Equal([new ReadState(11, 7), new ReadState(12, 7)], answered.ReadStates);
        var second = Assert.Single(answered.Messages.OfType<ReadIndexRequest>());
        Assert.Equal(13, second.RequestId);

        follower.Step(new ReadIndexResponse(Solo.ClusterId, 1, 2, 1, second.RequestId, 0, ReadRejection.LeadershipTransfer));
        Assert.Equal([new ReadState(13, 0, ReadRejection.LeadershipTransfer), new ReadState(14, 0, ReadRejection.LeadershipTransfer)],
            Solo.Drain(follower).ReadStates);
    }

    [Fact]
    public void A_node_that_knows_no_leader_rejects_reads_at_once()
    {
        var core = Solo.Core(2, 3);
        core.ReadIndex(3);
        Assert.Equal([new ReadState(3, 0, ReadRejection.NoLeader)], Solo.Drain(core).ReadStates);
    }

    [Fact]
    public void Reads_are_rejected_while_leadership_is_being_transferred()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Drop = m => m is TimeoutNow; // keep the transfer in progress
        cluster[1].TransferLeadership(2);
        cluster.Stabilize();
        cluster[1].ReadIndex(1);
        cluster[3].ReadIndex(2);
        cluster.Stabilize();

        Assert.Equal([new ReadState(1, 0, ReadRejection.LeadershipTransfer)], cluster.Disks[1].ReadStates);
        Assert.Equal([new ReadState(2, 0, ReadRejection.LeadershipTransfer)], cluster.Disks[3].ReadStates);
    }

    [Fact]
    public void A_leader_that_steps_down_rejects_its_pending_reads_including_forwarded_ones()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Drop = m => m is HeartbeatResponse; // no round ever confirms
        cluster[1].ReadIndex(1);
        cluster[2].ReadIndex(2);
        cluster.Stabilize();
        Assert.Empty(cluster.Disks[1].ReadStates);

        cluster[1].Step(new AppendEntriesResponse(TestCluster.ClusterId, 3, 1, 5, false, 0, 0, 0));
        cluster.Stabilize();
        Assert.Equal([new ReadState(1, 0, ReadRejection.LostLeadership)], cluster.Disks[1].ReadStates);
        Assert.Equal([new ReadState(2, 0, ReadRejection.LostLeadership)], cluster.Disks[2].ReadStates);
    }

    [Fact]
    public void A_follower_rejects_forwarded_reads_when_its_leader_or_term_changes()
    {
        var core = Solo.Core(2, 3, term: 1);
        core.Step(new Heartbeat(Solo.ClusterId, 1, 2, 1, 1, 0));
        core.ReadIndex(8);
        var request = Assert.IsType<ReadIndexRequest>(Solo.Drain(core).Messages.Single(m => m is ReadIndexRequest));
        Assert.Equal(1, request.To);

        core.Step(new Heartbeat(Solo.ClusterId, 3, 2, 2, 1, 0)); // node 3 leads term 2 now
        Assert.Equal([new ReadState(8, 0, ReadRejection.LostLeadership)], Solo.Drain(core).ReadStates);

        // A late answer from the old leader is ignored: the read was already answered.
        core.Step(new ReadIndexResponse(Solo.ClusterId, 1, 2, 1, 8, 5, null));
        Assert.Empty(Solo.Drain(core).ReadStates);
    }

    [Fact]
    public void A_check_quorum_step_down_rejects_reads_that_could_never_be_confirmed()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Isolate(1);
        cluster[1].ReadIndex(4);
        cluster.TickAll(25);
        Assert.Equal([new ReadState(4, 0, ReadRejection.LostLeadership)], cluster.Disks[1].ReadStates);
    }

    [Fact]
    public void A_forwarded_read_whose_request_or_answer_is_lost_is_rejected_after_two_election_timeouts()
    {
        var cluster = new TestCluster(3);
        cluster.Elect(1);
        cluster.Drop = m => m is ReadIndexRequest;
        cluster[2].ReadIndex(5);
        cluster.TickAll(19);
        Assert.Empty(cluster.Disks[2].ReadStates);
        cluster.TickAll(1);
        Assert.Equal([new ReadState(5, 0, ReadRejection.LostLeadership)], cluster.Disks[2].ReadStates);
        Assert.Equal(1, cluster[2].Status.LeaderId); // the leader itself is fine
    }

    [Fact]
    public void Without_check_quorum_a_read_a_cut_off_leader_cannot_confirm_is_still_rejected_in_time()
    {
        var cluster = new TestCluster(3, o => o with { CheckQuorum = false });
        cluster.Elect(1);
        cluster.Isolate(1);
        cluster[1].ReadIndex(6);
        cluster.TickAll(20);
        Assert.Equal(RaftRole.Leader, cluster[1].Status.Role);
        Assert.Equal([new ReadState(6, 0, ReadRejection.LostLeadership)], cluster.Disks[1].ReadStates);
    }

    /// <summary>Node 1 leads a solo-driven 3-node cluster with its no-op committed (via node 2).</summary>
    private static RaftCore ElectedLeader()
    {
        var leader = Solo.Leader(3);
        var append = Solo.Drain(leader).Messages.OfType<AppendEntries>().First(a => a.To == 2);
        leader.Step(new AppendEntriesResponse(Solo.ClusterId, 2, 1, 1, true, append.PrevLogIndex + 1, 0, 0));
        Assert.Equal(2, leader.Status.CommitIndex);
        Solo.Drain(leader);
        return leader;
    }
}
