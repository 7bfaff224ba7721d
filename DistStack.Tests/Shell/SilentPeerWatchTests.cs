using DistStack.Actors.Shell;

namespace DistStack.Tests.Shell;

/// <summary>
/// Regression for the chaos runs where a new leader never replicated to one follower (its matchIndex stayed 0 for
/// minutes): Akka.Remote had left the follower-to-leader direction of their association dead while the leader's
/// heartbeats still arrived, so the follower never campaigned and nothing in Raft or in Akka's transport failure
/// detector ever replaced the connection. The leader now notices the silence and resets the association.
/// </summary>
public sealed class SilentPeerWatchTests
{
    [Fact]
    public void A_follower_that_answers_is_never_due()
    {
        var watch = new SilentPeerWatch(silenceTicks: 30);
        watch.Restart([2, 3], now: 0);

        for (long tick = 1; tick <= 300; tick++)
        {
            watch.Heard(2, tick);
            watch.Heard(3, tick);
            Assert.Empty(watch.Due(tick));
        }
    }

    [Fact]
    public void A_follower_silent_for_the_whole_window_is_due_once_per_window()
    {
        var watch = new SilentPeerWatch(silenceTicks: 30);
        watch.Restart([2, 3], now: 100);

        var resets = new List<(long Tick, int Peer)>();
        for (long tick = 101; tick <= 190; tick++)
        {
            watch.Heard(2, tick); // node 2 answers; node 3's answers are lost
            resets.AddRange(watch.Due(tick).Select(peer => (tick, peer)));
        }

        Assert.Equal([(130L, 3), (160L, 3), (190L, 3)], resets);
    }

    [Fact]
    public void An_answer_after_a_reset_ends_the_resets()
    {
        var watch = new SilentPeerWatch(silenceTicks: 10);
        watch.Restart([4], now: 0);

        Assert.Equal([4], watch.Due(10));
        watch.Heard(4, 12); // the fresh connection works
        for (long tick = 13; tick < 22; tick++) Assert.Empty(watch.Due(tick));
        watch.Heard(4, 21);
        Assert.Empty(watch.Due(30));
    }

    [Fact]
    public void A_new_term_as_leader_starts_every_follower_with_a_clean_slate()
    {
        var watch = new SilentPeerWatch(silenceTicks: 10);
        watch.Restart([2], now: 0);
        // Long silence while we were not leader (nobody watched); leading again must not reset at once.
        watch.Restart([2], now: 500);

        Assert.Empty(watch.Due(505));
        Assert.Equal([2], watch.Due(510));
    }

    [Fact]
    public void Answers_from_non_members_are_ignored()
    {
        var watch = new SilentPeerWatch(silenceTicks: 10);
        watch.Restart([2], now: 0);
        watch.Heard(9, 5);

        Assert.Equal([2], watch.Due(10));
    }

    [Fact]
    public void Silent_followers_are_listed_with_how_long_they_have_been_silent_until_they_answer()
    {
        var watch = new SilentPeerWatch(silenceTicks: 10);
        watch.Restart([2, 3], now: 0);

        Assert.Empty(watch.Silent(9));
        watch.Heard(2, 9);
        Assert.Equal([(3, 10L)], watch.Silent(10));
        watch.Due(10); // a reset does not end the silence: the notices go on until an answer arrives
        Assert.Equal([(3, 15L)], watch.Silent(15));
        watch.Heard(3, 16);
        Assert.Equal([(2, 10L)], watch.Silent(19));
    }

    [Fact]
    public void A_follower_that_goes_silent_soon_after_a_reset_waits_a_whole_window_for_the_next()
    {
        var watch = new SilentPeerWatch(silenceTicks: 10);
        watch.Restart([2], now: 0);

        Assert.Equal([2], watch.Due(10));
        watch.Heard(2, 11); // answered on the fresh connection, then silent again
        Assert.Empty(watch.Due(20));
        Assert.Equal([2], watch.Due(21));
    }

    [Fact]
    public void The_follower_is_told_before_the_leader_resets_its_own_side()
    {
        // The follower's own side is the one that breaks while the leader's messages still arrive; the leader's
        // reset gates its heartbeats and notices for a second, so it comes only after the follower had its chance.
        var watch = new SilentPeerWatch(silenceTicks: 60, noticeAfterTicks: 20);
        watch.Restart([2], now: 0);

        Assert.Empty(watch.Silent(19));
        Assert.Equal([(2, 20L)], watch.Silent(20));
        for (long tick = 1; tick < 60; tick++) Assert.Empty(watch.Due(tick));
        Assert.Equal([2], watch.Due(60));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SilentPeerWatch(silenceTicks: 10, noticeAfterTicks: 11));
    }

    [Fact]
    public void A_follower_that_sends_vote_requests_but_no_answers_does_not_hear_us_and_is_due_after_the_notice_window()
    {
        // Measured: after a SIGKILLed leader's restart, the new leader's messages to it went into a dead endpoint for
        // 4 s while its vote requests arrived. A notice cannot reach it; only the leader's own reset repairs that.
        var watch = new SilentPeerWatch(silenceTicks: 60, noticeAfterTicks: 20);
        watch.Restart([2, 3], now: 0);
        watch.HeardOther(2, 15); // node 2 campaigns: it hears no leader

        for (long tick = 1; tick < 20; tick++) Assert.Empty(watch.Due(tick));
        Assert.Equal([2], watch.Due(20));          // node 3 (silent, says nothing) waits for the whole window
        Assert.Equal((20L, true), watch.Silence(2, 20));
        for (long tick = 21; tick < 60; tick++) Assert.Empty(watch.Due(tick));
        Assert.Equal([2, 3], watch.Due(60).Order());
    }
}
