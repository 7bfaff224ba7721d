using DistStack.Actors.Node;
using DistStack.Actors.Shell;
using DistStack.Actors.Stacks;

namespace DistStack.Tests.Shell;

/// <summary>
/// A follower's table of forwarded writes: which copies go where and when, and which client hears what, by id and
/// tick alone (no actor, no timer).
/// </summary>
public sealed class ForwardedWriteTableTests
{
    private const long ResendEvery = 10;
    private static readonly Completed Size1 = new(new StackResult(StackOutcome.Ok, Size: 1));
    private static readonly StackCommand PushA = new PushValue("key-a", "s", "a");
    private static readonly StackCommand PushB = new PushValue("key-b", "s", "b");

    private static ForwardedWriteTable<string> Table() => new(firstId: 1000, ResendEvery);

    [Fact]
    public void Each_write_gets_its_own_id_and_its_first_copy_goes_to_the_leader_it_was_forwarded_to()
    {
        var table = Table();
        var a = table.Add(PushA, "client-a", leaderId: 2, now: 0, ticksLeft: 100);
        var b = table.Add(PushB, "client-b", leaderId: 2, now: 0, ticksLeft: 100);

        Assert.Equal((1000L, PushA), (a.WriteId, a.Command));
        Assert.Equal((1001L, PushB), (b.WriteId, b.Command));
        Assert.Equal(2, table.Count);
        Assert.Empty(table.OnLeader(2)); // leader 2 has both copies already
    }

    [Fact]
    public void An_answer_reaches_the_client_of_its_id_once_and_unknown_ids_are_ignored()
    {
        var table = Table();
        var a = table.Add(PushA, "client-a", 2, 0, 100);
        table.Add(PushB, "client-b", 2, 0, 100);

        Assert.False(table.OnAnswer(999, Size1, out _, out _)); // an earlier incarnation's id
        Assert.True(table.OnAnswer(a.WriteId, Size1, out var client, out var reply));
        Assert.Equal(("client-a", (NodeReply)Size1), (client, reply));
        Assert.False(table.OnAnswer(a.WriteId, Size1, out _, out _)); // a second copy's answer: the client has one
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void A_new_leader_gets_a_copy_of_every_unanswered_write_and_an_answer_from_either_completes()
    {
        var table = Table();
        var a = table.Add(PushA, "client-a", 2, 0, 100);
        var b = table.Add(PushB, "client-b", 2, 0, 100);
        table.OnAnswer(b.WriteId, Size1, out _, out _);

        var copies = table.OnLeader(3);

        Assert.Equal([a], copies);
        Assert.True(table.OnAnswer(a.WriteId, Size1, out _, out _));
    }

    [Fact]
    public void Not_started_from_one_of_two_copies_only_counts()
    {
        var table = Table();
        var a = table.Add(PushA, "client-a", 2, 0, 100);
        table.OnLeader(3);

        Assert.False(table.OnAnswer(a.WriteId, new NotStarted("not the leader"), out _, out _));
        Assert.True(table.OnAnswer(a.WriteId, new NotStarted("lost leadership"), out _, out var reply));
        Assert.IsType<NotStarted>(reply);
    }

    [Fact]
    public void A_write_with_no_answer_re_sends_to_the_leader_of_the_moment_every_interval()
    {
        var table = Table();
        var a = table.Add(PushA, "client-a", 2, now: 0, ticksLeft: 100);
        table.OnLeader(3);
        var answers = new List<(string, NodeReply)>();
        var resends = new List<(int, ForwardedWriteCopy)>();

        table.Tick(ResendEvery - 1, answers, resends);
        Assert.Empty(resends);
        table.Tick(ResendEvery, answers, resends);
        Assert.Equal([(3, a)], resends);
        table.Tick(ResendEvery + 1, answers, resends);
        Assert.Single(resends); // the next one a whole interval later
        Assert.Empty(answers);
    }

    [Fact]
    public void At_its_deadline_a_write_is_answered_outcome_unknown_and_forgotten()
    {
        var table = Table();
        var a = table.Add(PushA, "client-a", 2, now: 5, ticksLeft: 3);
        table.Add(PushB, "client-b", 2, now: 5, ticksLeft: 30);
        var answers = new List<(string Client, NodeReply Reply)>();
        var resends = new List<(int, ForwardedWriteCopy)>();

        table.Tick(8, answers, resends);

        var (client, reply) = Assert.Single(answers);
        Assert.Equal("client-a", client);
        Assert.IsType<OutcomeUnknown>(reply);
        Assert.Equal(1, table.Count);
        Assert.False(table.OnAnswer(a.WriteId, Size1, out _, out _)); // too late: the client has its answer
    }

    [Fact]
    public void Stopping_answers_every_client_outcome_unknown_once()
    {
        var table = Table();
        table.Add(PushA, "client-a", 2, 0, 100);
        table.Add(PushB, "client-b", 2, 0, 100);

        var answers = table.Stop();

        Assert.Equal(["client-a", "client-b"], answers.Select(a => a.Client).Order());
        Assert.All(answers, a => Assert.IsType<OutcomeUnknown>(a.Reply));
        Assert.Empty(table.Stop());
        Assert.Equal(0, table.Count);
    }
}
