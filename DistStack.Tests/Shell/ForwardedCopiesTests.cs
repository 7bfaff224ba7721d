using DistStack.Actors.Node;
using DistStack.Actors.Shell;
using DistStack.Actors.Stacks;

namespace DistStack.Tests.Shell;

/// <summary>What the client of a forwarded write hears, whatever its copies answer: decided without an actor.</summary>
public sealed class ForwardedCopiesTests
{
    private static readonly Completed Size1 = new(new StackResult(StackOutcome.Ok, Size: 1));

    [Fact]
    public void Each_new_leader_gets_one_copy_and_re_sends_go_to_the_last_one()
    {
        var copies = new ForwardedCopies();
        Assert.False(copies.OnResendDue()); // no leader yet: nowhere to send
        Assert.True(copies.OnLeader(2));
        Assert.False(copies.OnLeader(2));
        Assert.True(copies.OnLeader(3));
        Assert.True(copies.OnResendDue());
        Assert.Equal((3, 3), (copies.CurrentLeader!.Value, copies.Copies));
    }

    [Fact]
    public void Completed_from_any_copy_is_the_answer_and_nothing_is_answered_twice()
    {
        var copies = new ForwardedCopies();
        copies.OnLeader(2);
        copies.OnLeader(3);
        Assert.Equal(Size1, copies.OnAnswer(Size1));
        Assert.Null(copies.OnAnswer(new NotStarted("late")));
        Assert.Null(copies.OnDeadline());
        Assert.Null(copies.OnStopped());
        Assert.False(copies.OnLeader(4));
    }

    [Fact]
    public void Not_started_stands_only_when_every_copy_says_so()
    {
        var copies = new ForwardedCopies();
        copies.OnLeader(2);
        copies.OnResendDue();
        Assert.Null(copies.OnAnswer(new NotStarted("overloaded"))); // the other copy may still apply
        Assert.IsType<NotStarted>(copies.OnAnswer(new NotStarted("not the leader any more")));
    }

    [Fact]
    public void One_copy_unknown_among_several_is_unknown_even_if_the_others_did_not_start()
    {
        var copies = new ForwardedCopies();
        copies.OnLeader(2);
        copies.OnLeader(3);
        Assert.Null(copies.OnAnswer(new OutcomeUnknown("not committed in time")));
        Assert.IsType<OutcomeUnknown>(copies.OnAnswer(new NotStarted("overloaded")));
    }

    [Fact]
    public void Request_keys_full_from_one_copy_only_counts()
    {
        var copies = new ForwardedCopies();
        copies.OnLeader(2);
        copies.OnLeader(3);
        Assert.Null(copies.OnAnswer(new Completed(new StackResult(StackOutcome.RequestKeysFull))));
        Assert.Equal(Size1, copies.OnAnswer(Size1));
    }

    [Fact]
    public void At_the_deadline_the_outcome_is_unknown_and_says_how_many_copies_went_where()
    {
        var copies = new ForwardedCopies();
        copies.OnLeader(2);
        copies.OnResendDue();
        copies.OnLeader(3);
        var answer = Assert.IsType<OutcomeUnknown>(copies.OnDeadline());
        Assert.Contains("3 copies to 2 leaders in turn", answer.Reason);
    }
}
