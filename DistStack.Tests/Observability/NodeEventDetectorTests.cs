using DistStack.Actors.Node;
using DistStack.Actors.Observability;
using DistStack.Actors.Raft;

namespace DistStack.Tests.Observability;

/// <summary>The timeline's events from successive status observations of one node (no actor, no clock).</summary>
public sealed class NodeEventDetectorTests
{
    private readonly NodeEventDetector _detector = new();

    private static NodeStatus Status(RaftRole role, long term, int? leader, long commit = 10, params MemberStatus[] members) =>
        new(1, "c", role, term, leader, commit, commit, commit, 0, "d",
            members.Length > 0 ? members : [Member(1, true, 0), Member(2, true, 50), Member(3, true, 50)]);

    /// <summary>An observation whose durable vote is already in the status' term.</summary>
    private IReadOnlyList<NodeEvent> Observe(NodeStatus status, int? votedFor, long atMs) => _detector.Observe(status, status.Term, votedFor, atMs);

    private static MemberStatus Member(int id, bool reachable, long? heardMsAgo) => new(id, $"h:{id}", reachable, null, heardMsAgo);

    [Fact]
    public void The_first_observation_is_the_start_and_a_known_leader_then_a_lost_one_says_when_it_was_last_heard()
    {
        var started = Assert.Single(Observe(Status(RaftRole.Follower, 3, null), null, 900));
        Assert.Equal(NodeEventKind.Started, started.Kind);
        var known = Assert.Single(Observe(Status(RaftRole.Follower, 3, 2), null, 1_000));
        Assert.Equal((NodeEventKind.LeaderKnown, 2), (known.Kind, known.LeaderId));

        // Node 2 (the leader) last heard 700 ms before this node gave up on it and became a pre-candidate.
        var events = Observe(Status(RaftRole.PreCandidate, 3, null, 10, Member(1, true, 0), Member(2, false, 700), Member(3, true, 40)), null, 5_000);
        Assert.Equal([NodeEventKind.RoleChanged, NodeEventKind.LeaderLost], events.Select(e => e.Kind));
        var lost = events[1];
        Assert.Equal(2, lost.LeaderId);
        Assert.Equal(4_300, lost.LastHeardAtMs);
    }

    [Fact]
    public void A_node_that_knows_its_leader_at_its_first_observation_has_learned_of_a_leader()
    {
        var events = Observe(Status(RaftRole.Follower, 1, 3), 3, 0);
        Assert.Equal([NodeEventKind.Started, NodeEventKind.LeaderKnown], events.Select(e => e.Kind));
        Assert.Equal(3, events[1].LeaderId);
    }

    [Fact]
    public void An_election_is_a_role_change_and_a_leader_known_and_the_first_commit_of_the_term_follows_once()
    {
        Observe(Status(RaftRole.Candidate, 4, null, 10), 1, 0);
        var elected = Observe(Status(RaftRole.Leader, 4, 1, 10), 1, 100);
        Assert.Equal([NodeEventKind.RoleChanged, NodeEventKind.LeaderKnown], elected.Select(e => e.Kind));
        Assert.Equal(1, elected[1].LeaderId);

        Assert.Empty(Observe(Status(RaftRole.Leader, 4, 1, 10), 1, 150));
        var commit = Assert.Single(Observe(Status(RaftRole.Leader, 4, 1, 11), 1, 200));
        Assert.Equal(NodeEventKind.FirstCommitInTerm, commit.Kind);
        Assert.Equal(11, commit.Index);
        Assert.Empty(Observe(Status(RaftRole.Leader, 4, 1, 12), 1, 250));
    }

    [Fact]
    public void A_vote_for_another_node_is_recorded_once_per_term()
    {
        Observe(Status(RaftRole.Follower, 4, null), null, 0);
        var voted = Assert.Single(Observe(Status(RaftRole.Follower, 5, null), 3, 10));
        Assert.Equal((NodeEventKind.Voted, 3, 5L), (voted.Kind, voted.PeerId, voted.Term));
        Assert.Empty(Observe(Status(RaftRole.Follower, 5, null), 3, 20));
    }

    [Fact]
    public void A_vote_is_reported_in_the_term_it_was_cast_in_even_when_the_status_is_already_in_a_later_term()
    {
        _detector.Observe(Status(RaftRole.Follower, 1, 4), 1, 4, 0);
        // The status moved to term 2 before the new vote was durable: the old vote for 4 is not news.
        Assert.DoesNotContain(_detector.Observe(Status(RaftRole.Follower, 2, null), 1, 4, 10), e => e.Kind == NodeEventKind.Voted);
        var voted = Assert.Single(_detector.Observe(Status(RaftRole.Follower, 2, null), 2, 3, 20));
        Assert.Equal((NodeEventKind.Voted, 3, 2L), (voted.Kind, voted.PeerId, voted.Term));
    }

    [Fact]
    public void A_leader_reports_a_follower_lost_and_regained_but_not_first_hearing_its_followers()
    {
        Observe(Status(RaftRole.Leader, 2, 1, 10, Member(1, true, 0), Member(2, false, null), Member(3, false, null)), 1, 0);
        // A new leader hearing its followers for the first time is not news.
        Assert.DoesNotContain(Observe(Status(RaftRole.Leader, 2, 1, 10, Member(1, true, 0), Member(2, true, 50), Member(3, true, 50)), 1, 100),
            e => e.Kind is NodeEventKind.PeerLost or NodeEventKind.PeerRegained);
        var lost = Assert.Single(Observe(Status(RaftRole.Leader, 2, 1, 10, Member(1, true, 0), Member(2, true, 50), Member(3, false, 1100)), 1, 1_200));
        Assert.Equal((NodeEventKind.PeerLost, 3), (lost.Kind, lost.PeerId));
        var regained = Assert.Single(Observe(Status(RaftRole.Leader, 2, 1, 10, Member(1, true, 0), Member(2, true, 50), Member(3, true, 50)), 1, 3_000));
        Assert.Equal((NodeEventKind.PeerRegained, 3), (regained.Kind, regained.PeerId));
    }

    [Fact]
    public void The_ring_keeps_the_newest_events_with_increasing_sequence_numbers()
    {
        var ring = new NodeEventRing(3);
        for (var i = 0; i < 5; i++) ring.Add(new NodeEvent(0, i, 1, NodeEventKind.Voted, i));
        var kept = ring.Snapshot();
        Assert.Equal([2L, 3L, 4L], kept.Select(e => e.AtMs));
        Assert.Equal([3L, 4L, 5L], kept.Select(e => e.Sequence));
    }
}
