using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Stacks;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// A forwarded write's one answer to its client, whatever the leaders it reached say: a copy goes to each new
/// leader; Completed from any copy wins; "not started" stands only if no copy can still apply.
/// Time is virtual (Akka.TestKit's TestScheduler): the re-send and deadline timers fire only when a test advances
/// the clock, so no test depends on how fast the machine runs it.
/// </summary>
public sealed class ForwardedWriteSpec() : Akka.TestKit.Xunit2.TestKit("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"")
{
    private Akka.TestKit.TestScheduler Clock => (Akka.TestKit.TestScheduler)Sys.Scheduler;

    private static readonly StackCommand Push = new PushValue("key-1", "s", "v");
    private static readonly StackResult Size1 = new(StackOutcome.Ok, null, 1);

    private (IActorRef Write, Akka.TestKit.TestProbe Client) Start(TimeSpan? within = null, TimeSpan? resendEvery = null)
    {
        var client = CreateTestProbe();
        return (Sys.ActorOf(ForwardedWrite.Props(Push, 1, client.Ref, within ?? TimeSpan.FromSeconds(30),
            resendEvery ?? TimeSpan.FromMinutes(10))), client);
    }

    /// <summary>A write whose first copy went to leader 2 and second to leader 3; both copies received.</summary>
    private (IActorRef Write, Akka.TestKit.TestProbe Client, Akka.TestKit.TestProbe Leader2, Akka.TestKit.TestProbe Leader3) TwoCopiesSent(TimeSpan? within = null)
    {
        var (write, client) = Start(within);
        var leader2 = CreateTestProbe();
        var leader3 = CreateTestProbe();
        write.Tell(new ForwardedWrite.SendCopy(2, leader2.Ref));
        Assert.Equal(Push, leader2.ExpectMsg<ForwardedCommand>().Command);
        write.Tell(new ForwardedWrite.SendCopy(3, leader3.Ref));
        Assert.Equal(Push, leader3.ExpectMsg<ForwardedCommand>().Command); // same command, same request key
        return (write, client, leader2, leader3);
    }

    [Fact]
    public void The_second_leaders_completion_answers_the_client_while_the_first_leader_stays_silent()
    {
        var (_, client, _, leader3) = TwoCopiesSent();
        leader3.Reply(new Completed(Size1));

        Assert.Equal(new Completed(Size1), client.ExpectMsg<NodeReply>());
    }

    [Fact]
    public void A_leader_already_sent_a_copy_gets_no_second_one()
    {
        var (write, _) = Start();
        var leader2 = CreateTestProbe();
        write.Tell(new ForwardedWrite.SendCopy(2, leader2.Ref));
        write.Tell(new ForwardedWrite.SendCopy(2, leader2.Ref));
        leader2.ExpectMsg<ForwardedCommand>();
        leader2.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_copy_with_no_answer_is_sent_again_to_the_same_leader_and_the_second_copys_answer_completes()
    {
        // A copy lost on a connection Akka.Remote left dead costs a re-send interval, not the whole request timeout.
        var (write, client) = Start(resendEvery: TimeSpan.FromMilliseconds(300));
        var leader2 = CreateTestProbe();
        write.Tell(new ForwardedWrite.SendCopy(2, leader2.Ref));
        Assert.Equal(Push, leader2.ExpectMsg<ForwardedCommand>().Command);   // lost on the way
        leader2.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Clock.Advance(TimeSpan.FromMilliseconds(300));
        Assert.Equal(Push, leader2.ExpectMsg<ForwardedCommand>().Command); // same command, same key
        leader2.Reply(new Completed(Size1));

        Assert.Equal(new Completed(Size1), client.ExpectMsg<NodeReply>());
    }

    [Fact]
    public void Not_started_from_a_re_sent_copy_while_the_first_may_still_apply_is_outcome_unknown()
    {
        var (write, client) = Start(within: TimeSpan.FromSeconds(2), resendEvery: TimeSpan.FromMilliseconds(300));
        var leader2 = CreateTestProbe();
        write.Tell(new ForwardedWrite.SendCopy(2, leader2.Ref));
        leader2.ExpectMsg<ForwardedCommand>();
        Clock.Advance(TimeSpan.FromMilliseconds(300));
        leader2.ExpectMsg<ForwardedCommand>();
        leader2.Reply(new NotStarted("overloaded"));

        // The first copy never answered (it may only be late): not "not started", but unknown at the deadline.
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.IsType<OutcomeUnknown>(client.ExpectMsg<NodeReply>());
    }

    [Fact]
    public void One_copy_not_started_is_not_started()
    {
        var (write, client) = Start();
        var leader2 = CreateTestProbe();
        write.Tell(new ForwardedWrite.SendCopy(2, leader2.Ref));
        leader2.ExpectMsg<ForwardedCommand>();
        leader2.Reply(new NotStarted("overloaded"));

        Assert.IsType<NotStarted>(client.ExpectMsg<NodeReply>());
    }

    [Fact]
    public void Not_started_from_the_second_leader_while_the_first_copy_may_still_apply_is_outcome_unknown()
    {
        var (_, client, _, leader3) = TwoCopiesSent(within: TimeSpan.FromMilliseconds(500));
        leader3.Reply(new NotStarted("overloaded"));
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Clock.Advance(TimeSpan.FromMilliseconds(500));

        // Leader 2 never answers (it died holding the first copy): at the deadline the outcome is unknown.
        Assert.IsType<OutcomeUnknown>(client.ExpectMsg<NodeReply>());
    }

    [Fact]
    public void Request_keys_full_from_one_copy_only_counts_while_another_copy_may_still_apply()
    {
        // The state machine refused that copy without recording its key, so the other copy may still apply.
        var (_, client, leader2, leader3) = TwoCopiesSent();
        leader3.Reply(new Completed(new StackResult(StackOutcome.RequestKeysFull)));
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        leader2.Reply(new Completed(Size1));

        Assert.Equal(new Completed(Size1), client.ExpectMsg<NodeReply>());
    }

    [Fact]
    public void Every_copy_not_started_is_not_started()
    {
        var (_, client, leader2, leader3) = TwoCopiesSent();
        leader2.Reply(new NotStarted("not the leader any more"));
        leader3.Reply(new NotStarted("overloaded"));

        Assert.IsType<NotStarted>(client.ExpectMsg<NodeReply>());
    }

    [Fact]
    public void Outcome_unknown_from_one_copy_and_not_started_from_the_other_is_outcome_unknown()
    {
        var (_, client, leader2, leader3) = TwoCopiesSent();
        leader2.Reply(new OutcomeUnknown("not committed in time"));
        leader3.Reply(new NotStarted("overloaded"));

        Assert.IsType<OutcomeUnknown>(client.ExpectMsg<NodeReply>());
    }

    [Fact]
    public void Stopping_before_any_answer_tells_the_client_the_outcome_is_unknown()
    {
        var (write, client) = Start();
        write.Tell(new ForwardedWrite.SendCopy(2, CreateTestProbe().Ref));
        Sys.Stop(write);

        Assert.IsType<OutcomeUnknown>(client.ExpectMsg<NodeReply>());
    }
}
