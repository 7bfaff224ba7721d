using DistStack.Actors.Raft;
using DistStack.Actors.Shell;

namespace DistStack.Tests.Shell;

/// <summary>PeerLinkRepair: what RaftNode is told to do about silent links, tick by tick (election 10 ticks, heartbeat 2).</summary>
public sealed class PeerLinkRepairTests
{
    private const ulong Cluster = 7;
    private static readonly int[] Followers = [2, 3];

    private static HeartbeatResponse AnswerFrom(int peer) => new(Cluster, peer, 1, 1, 0);

    [Fact]
    public void A_leader_notices_a_silent_follower_then_resets_its_own_side_while_an_answering_one_is_left_alone()
    {
        var links = new PeerLinkRepair(electionTicks: 10, heartbeatTicks: 2);
        Assert.Same(LinkRepairs.None, links.Tick(isLeader: true, Followers, now: 0)); // clean slate on becoming leader

        var notices = new List<(long Tick, int Peer)>();
        var resets = new List<(long Tick, int Peer)>();
        for (long now = 1; now <= 60; now++)
        {
            links.Heard(AnswerFrom(3), now);
            var repairs = links.Tick(isLeader: true, Followers, now);
            notices.AddRange(repairs.Notices.Select(n => (now, n.Peer)));
            resets.AddRange(repairs.Resets.Select(r => (now, r.Peer)));
        }

        Assert.All(notices.Concat(resets), r => Assert.Equal(2, r.Peer));
        Assert.Equal(PeerLinkRepair.NoticeAfterTicksFor(10), notices[0].Tick);          // told after two election timeouts
        Assert.All(notices, n => Assert.Equal(0, n.Tick % 2));                          // at heartbeats
        Assert.Equal([PeerLinkRepair.ResetAfterTicksFor(10)], resets.Select(r => r.Tick)); // own side after six, once per window
    }

    [Fact]
    public void A_node_that_is_not_leader_watches_nothing_and_becoming_leader_again_starts_afresh()
    {
        var links = new PeerLinkRepair(electionTicks: 10, heartbeatTicks: 2);
        links.Tick(isLeader: true, Followers, now: 0);
        for (long now = 1; now < 100; now++) Assert.Same(LinkRepairs.None, links.Tick(isLeader: false, Followers, now));
        Assert.Same(LinkRepairs.None, links.Tick(isLeader: true, Followers, now: 100));
        Assert.Empty(links.Tick(isLeader: true, Followers, now: 101).Resets);
    }

    [Fact]
    public void A_follower_resets_its_side_on_a_notice_at_most_once_per_two_notice_windows()
    {
        var links = new PeerLinkRepair(electionTicks: 10, heartbeatTicks: 2);
        var window = 2 * PeerLinkRepair.NoticeAfterTicksFor(10);
        links.Heard(AnswerFrom(1), now: 0);
        Assert.True(links.ResetOnNotice(1, now: 100));
        Assert.False(links.ResetOnNotice(1, now: 100 + window - 1));
        Assert.True(links.ResetOnNotice(1, now: 100 + window));
        Assert.Equal(0, links.TicksSinceHeard(1, now: 100 + window));
        Assert.Null(links.TicksSinceHeard(2, now: 100 + window));
    }

    [Fact]
    public void A_new_incarnation_leaves_its_fresh_link_alone_for_a_notice_window_then_resets_if_still_unheard()
    {
        // A restarted follower: the leader's first heartbeat comes with a notice of the silence since the old process
        // died. This process's connection to the leader is new; a reset would gate it (and the heartbeats) for 1 s.
        var links = new PeerLinkRepair(electionTicks: 10, heartbeatTicks: 2);
        var notice = PeerLinkRepair.NoticeAfterTicksFor(10);
        links.Heard(AnswerFrom(1), now: 0);
        for (long now = 0; now < notice; now += 2) Assert.False(links.ResetOnNotice(1, now), $"tick {now}");
        Assert.True(links.ResetOnNotice(1, now: notice)); // still unheard a window later: its side is the dead one

        // A notice before any Raft message from that peer starts the window too.
        var other = new PeerLinkRepair(electionTicks: 10, heartbeatTicks: 2);
        Assert.False(other.ResetOnNotice(1, now: 5));
        Assert.True(other.ResetOnNotice(1, now: 5 + notice));
    }
}
