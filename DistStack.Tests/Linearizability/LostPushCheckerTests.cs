namespace DistStack.Tests.Linearizability;

public sealed class LostPushCheckerTests
{
    [Fact]
    public void Every_acknowledged_push_popped_is_ok()
    {
        var report = LostPushChecker.Check(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Push(2, "b", 2, 4, 2)
            .Pop(3, "b", 5, 6)
            .Pop(3, "a", 7, 8)
            .Pop(3, null, 9, 10).Ops);
        Assert.True(report.Ok, report.Describe());
        Assert.Equal(0, report.LostAtLeast);
    }

    [Fact]
    public void Acknowledged_push_never_popped_after_a_drain_is_lost()
    {
        var report = LostPushChecker.Check(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Push(2, "b", 4, 5, 2)
            .Pop(3, "b", 6, 7)
            .Pop(3, null, 8, 9).Ops);
        Assert.False(report.Ok);
        Assert.Equal(1, report.LostAtLeast);
        Assert.Equal("a", report.Stacks.Single().Lost.Single().Input);
        Assert.Contains("lost", report.Describe());
    }

    [Fact]
    public void A_missing_value_is_excused_by_an_unknown_pop_even_one_invoked_before_the_push()
    {
        var report = LostPushChecker.Check(new HistoryBuilder()
            .Create(1, 0, 1)
            .PopUnknown(2, 2)
            .Push(1, "a", 3, 4, 1)
            .Push(1, "b", 5, 6, 2)
            .Pop(3, "b", 7, 8)
            .Pop(3, null, 9, 10).Ops);
        Assert.True(report.Ok, report.Describe());
        Assert.Single(report.Stacks.Single().ExcusedByUnknownPops);
    }

    [Fact]
    public void Each_unknown_pop_excuses_at_most_one_missing_value()
    {
        var report = LostPushChecker.Check(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Push(1, "b", 4, 5, 2)
            .Push(1, "c", 6, 7, 3)
            .PopUnknown(2, 8)
            .Pop(3, "c", 9, 10)
            .Pop(3, null, 11, 12).Ops);
        Assert.False(report.Ok);
        Assert.Equal(1, report.LostAtLeast);
        Assert.Equal(2, report.Stacks.Single().Lost.Count); // either of the two could be the lost one
    }

    [Fact]
    public void Without_a_drain_the_check_is_inconclusive_not_a_loss()
    {
        var report = LostPushChecker.Check(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1).Ops);
        Assert.True(report.Ok);
        Assert.Equal(["s"], report.UndrainedStacks);
        Assert.Contains("NOT DRAINED", report.Describe());
    }

    [Fact]
    public void A_drain_that_ran_before_the_last_acknowledgement_does_not_count()
    {
        var report = LostPushChecker.Check(new HistoryBuilder()
            .Create(1, 0, 1)
            .Pop(3, null, 2, 3)
            .Push(1, "a", 4, 5, 1).Ops);
        Assert.Equal(["s"], report.UndrainedStacks);
    }

    [Fact]
    public void Unknown_and_failed_pushes_need_not_be_popped()
    {
        var report = LostPushChecker.Check(new HistoryBuilder()
            .Create(1, 0, 1)
            .PushUnknown(1, "u", 2)
            .PushFailed(1, "f", 3, 4)
            .Pop(3, null, 9, 10).Ops);
        Assert.True(report.Ok, report.Describe());
    }

    [Fact]
    public void A_value_popped_twice_is_reported()
    {
        var report = LostPushChecker.Check(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Pop(2, "a", 4, 5)
            .Pop(3, "a", 6, 7)
            .Pop(3, null, 8, 9).Ops);
        Assert.False(report.Ok);
        Assert.Equal(2, report.Stacks.Single().DuplicatePops.Count);
    }

    [Fact]
    public void A_value_popped_that_no_push_offered_is_reported()
    {
        var report = LostPushChecker.Check(new HistoryBuilder()
            .Create(1, 0, 1)
            .PushFailed(1, "f", 2, 3)
            .Pop(2, "f", 4, 5)
            .Pop(2, "never", 6, 7)
            .Pop(3, null, 8, 9).Ops);
        Assert.False(report.Ok);
        Assert.Equal(["f", "never"], report.Stacks.Single().PhantomPops.Select(p => p.Result!.Value));
    }

    [Fact]
    public void A_delete_explains_values_pushed_before_it()
    {
        var report = LostPushChecker.Check(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Delete(2, 4, 5)
            .Create(1, 6, 7)
            .Pop(3, null, 8, 9).Ops);
        Assert.True(report.Ok, report.Describe());
    }

    [Fact]
    public void Stacks_are_accounted_separately()
    {
        var report = LostPushChecker.Check(new HistoryBuilder()
            .Create(1, 0, 1, stack: "x")
            .Create(1, 0, 1, stack: "y")
            .Push(1, "a", 2, 3, 1, stack: "x")
            .PopUnknown(2, 4, stack: "y")
            .Pop(3, null, 8, 9, stack: "x")
            .Pop(3, null, 8, 9, stack: "y").Ops);
        Assert.False(report.Ok);
        Assert.Equal(1, report.Stacks.Single(s => s.StackId == "x").LostAtLeast);
    }
}
