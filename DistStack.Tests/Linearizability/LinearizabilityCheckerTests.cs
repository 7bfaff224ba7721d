namespace DistStack.Tests.Linearizability;

public sealed class LinearizabilityCheckerTests
{
    private static LinearizabilityResult Check(HistoryBuilder h) => LinearizabilityChecker.Check(h.Ops);

    private static void AssertLinearizable(HistoryBuilder h)
    {
        var result = Check(h);
        Assert.True(result.Verdict == Verdict.Linearizable, result.Describe());
    }

    private static PartitionResult AssertViolation(HistoryBuilder h)
    {
        var result = Check(h);
        Assert.True(result.Verdict == Verdict.NotLinearizable, result.Describe());
        return result.SmallestViolation!;
    }

    [Fact]
    public void Empty_history_is_linearizable()
    {
        Assert.Equal(Verdict.Linearizable, LinearizabilityChecker.Check([]).Verdict);
    }

    [Fact]
    public void Sequential_history_of_every_operation_is_linearizable()
    {
        AssertLinearizable(new HistoryBuilder()
            .Exists(1, false, 0, 1)
            .PushNotFound(1, "x", 2, 3)
            .Create(1, 4, 5)
            .Exists(2, true, 6, 7)
            .Push(1, "a", 8, 9, 1)
            .Push(2, "b", 10, 11, 2)
            .Top(1, "b", 12, 13)
            .Size(2, 2, 14, 15)
            .Create(3, 16, 17, created: false)
            .Pop(1, "b", 18, 19)
            .Pop(2, "a", 20, 21)
            .Pop(3, null, 22, 23)
            .Top(3, null, 24, 25)
            .Size(1, 0, 26, 27));
    }

    [Fact]
    public void Operations_on_a_missing_stack_answer_not_found()
    {
        var h = new HistoryBuilder();
        h.Add(1, "s", StackOpKind.Pop, null, 0, 1, StackOpResult.NotFound);
        h.Add(1, "s", StackOpKind.Top, null, 2, 3, StackOpResult.NotFound);
        h.Add(1, "s", StackOpKind.Size, null, 4, 5, StackOpResult.NotFound);
        h.Exists(1, false, 6, 7);
        AssertLinearizable(h);

        // ...and a pop answering "empty" on a stack nobody created is not.
        AssertViolation(new HistoryBuilder().Pop(1, null, 0, 1));
    }

    [Fact]
    public void Stale_top_after_a_completed_push_is_caught()
    {
        var violation = AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Push(2, "b", 4, 5, 2)
            .Top(3, "a", 6, 7));
        Assert.Equal(7, violation.StuckOp!.CompletedAt);
    }

    [Fact]
    public void Stale_size_after_a_completed_push_is_caught()
    {
        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Push(2, "b", 4, 5, 2)
            .Size(3, 1, 6, 7));
    }

    [Fact]
    public void A_read_concurrent_with_a_push_may_see_either_state()
    {
        AssertLinearizable(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Push(2, "b", 4, 10, 2)
            .Top(3, "a", 5, 6)
            .Size(4, 2, 7, 8)
            .Top(3, "b", 11, 12));

        // ...but not go back to the old one once a read has seen the new one.
        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Push(2, "b", 4, 20, 2)
            .Top(3, "b", 5, 6)
            .Top(4, "a", 7, 8));
    }

    [Fact]
    public void Lost_acknowledged_push_is_caught_when_the_drain_finds_the_stack_empty()
    {
        var violation = AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Push(2, "b", 4, 5, 2)
            .Pop(3, "b", 10, 11)
            .Pop(3, null, 12, 13));
        Assert.Equal(StackOpKind.Pop, violation.StuckOp!.Kind);
        Assert.Contains("\"a\"", violation.StateAfterPrefix);
    }

    [Fact]
    public void Duplicated_push_popped_twice_is_caught()
    {
        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Pop(2, "a", 4, 5)
            .Pop(3, "a", 6, 7));

        // Even when the two pops overlap.
        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Pop(2, "a", 4, 8)
            .Pop(3, "a", 5, 9));
    }

    [Fact]
    public void Pop_of_a_value_never_pushed_is_caught()
    {
        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Pop(2, "zzz", 4, 5));
    }

    [Fact]
    public void Overlapping_pushes_linearizable_in_only_one_order()
    {
        // a overlaps b entirely; the sizes say b went first, so the pops must return a then b.
        AssertLinearizable(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 100, 2)
            .Push(2, "b", 10, 90, 1)
            .Pop(3, "a", 110, 120)
            .Pop(3, "b", 121, 130));

        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 100, 2)
            .Push(2, "b", 10, 90, 1)
            .Pop(3, "b", 110, 120));
    }

    [Fact]
    public void Overlapping_push_and_pop_can_take_effect_in_either_order_only_as_the_outputs_allow()
    {
        // A pop concurrent with two pushes returns the value that must have been on top at its point.
        AssertLinearizable(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 50, 1)
            .Push(2, "b", 3, 50, 2)
            .Pop(3, "b", 4, 50)
            .Size(1, 1, 60, 61)
            .Top(1, "a", 62, 63));

        // The pop took "a" while "b" was supposedly pushed on top of it (size 2) — impossible.
        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 50, 1)
            .Push(2, "b", 3, 50, 2)
            .Pop(3, "a", 4, 50)
            .Size(1, 1, 60, 61));
    }

    [Fact]
    public void Unknown_push_that_took_effect_is_linearizable()
    {
        AssertLinearizable(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .PushUnknown(2, "u", 4)
            .Push(1, "b", 50, 51, 3)
            .Pop(3, "b", 60, 61)
            .Pop(3, "u", 62, 63)
            .Pop(3, "a", 64, 65)
            .Pop(3, null, 66, 67));
    }

    [Fact]
    public void Unknown_push_that_never_took_effect_is_linearizable()
    {
        AssertLinearizable(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .PushUnknown(2, "u", 4)
            .Push(1, "b", 50, 51, 2)
            .Pop(3, "b", 60, 61)
            .Pop(3, "a", 62, 63)
            .Pop(3, null, 64, 65));
    }

    [Fact]
    public void Unknown_push_cannot_take_effect_before_it_was_invoked()
    {
        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Pop(3, "u", 10, 11)
            .PushUnknown(2, "u", 20));
    }

    [Fact]
    public void Unknown_pop_may_take_effect_late_or_never()
    {
        // Took effect after the second push: "b" vanished.
        AssertLinearizable(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .PopUnknown(2, 4)
            .Push(1, "b", 10, 11, 2)
            .Pop(3, "a", 20, 21)
            .Pop(3, null, 22, 23));

        // Never took effect.
        AssertLinearizable(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .PopUnknown(2, 4)
            .Push(1, "b", 10, 11, 2)
            .Pop(3, "b", 20, 21)
            .Pop(3, "a", 22, 23)
            .Pop(3, null, 24, 25));

        // One unknown pop cannot explain two missing values.
        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .PopUnknown(2, 4)
            .Push(1, "b", 10, 11, 2)
            .Pop(3, null, 20, 21));
    }

    [Fact]
    public void Definitely_failed_push_must_not_take_effect()
    {
        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .PushFailed(1, "f", 2, 3)
            .Pop(2, "f", 4, 5));

        AssertLinearizable(new HistoryBuilder()
            .Create(1, 0, 1)
            .PushFailed(1, "f", 2, 3)
            .Pop(2, null, 4, 5));
    }

    [Fact]
    public void Unknown_reads_are_ignored()
    {
        var h = new HistoryBuilder().Create(1, 0, 1);
        h.Add(2, "s", StackOpKind.Top, null, 2, null, null, OpStatus.Unknown);
        h.Add(2, "s", StackOpKind.Size, null, 3, null, null, OpStatus.Unknown);
        var result = LinearizabilityChecker.Check(h.Ops);
        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Equal(2, result.Partitions.Single().DroppedOps);
    }

    [Fact]
    public void Create_that_resets_an_existing_stack_is_caught()
    {
        // "already existed" but the contents vanished.
        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Create(2, 4, 5, created: false)
            .Pop(3, null, 6, 7));

        // "created" a second time: the first create already made it.
        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Create(2, 4, 5, created: true));

        // A fresh size after the reset gives it away too.
        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Create(2, 4, 5, created: false)
            .Push(1, "b", 6, 7, 1));
    }

    [Fact]
    public void Concurrent_creates_one_creates_one_finds_it()
    {
        AssertLinearizable(new HistoryBuilder()
            .Create(1, 0, 10, created: false)
            .Create(2, 1, 11, created: true)
            .Push(1, "a", 12, 13, 1));

        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 10, created: true)
            .Create(2, 1, 11, created: true));
    }

    [Fact]
    public void Delete_then_recreate_starts_empty()
    {
        AssertLinearizable(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Delete(2, 4, 5)
            .Exists(3, false, 6, 7)
            .Delete(2, 8, 9, deleted: false)
            .Create(1, 10, 11, created: true)
            .Pop(3, null, 12, 13));

        AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Delete(2, 4, 5)
            .Top(3, "a", 6, 7));
    }

    [Fact]
    public void Stacks_are_checked_independently_and_the_smallest_failing_one_is_reported()
    {
        var h = new HistoryBuilder()
            .Create(1, 0, 1, stack: "big")
            .Create(1, 0, 1, stack: "small");
        for (var i = 0; i < 20; i++)
        {
            h.Push(2, $"v{i}", 10 + 2 * i, 11 + 2 * i, i + 1, stack: "big");
        }

        h.Pop(3, "v0", 100, 101, stack: "big"); // wrong: v19 is on top
        h.Push(2, "x", 10, 11, 1, stack: "small").Pop(2, "y", 12, 13, stack: "small");
        h.Push(2, "ok", 10, 11, 1, stack: "fine").Create(1, 0, 1, stack: "fine");

        var result = LinearizabilityChecker.Check(h.Ops);
        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal("small", result.SmallestViolation!.StackId);
        Assert.Equal(2, result.Partitions.Count(p => p.Verdict == Verdict.NotLinearizable));
        Assert.Equal(Verdict.Linearizable, result.Partitions.Single(p => p.StackId == "fine").Verdict);
        // "fine" lists its push before its create, but times, not list order, decide.
    }

    [Fact]
    public void Violation_report_shows_prefix_state_and_the_stuck_operation()
    {
        var violation = AssertViolation(new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a", 2, 3, 1)
            .Push(2, "b", 4, 5, 2)
            .Top(3, "a", 6, 7));
        Assert.Equal(3, violation.LongestLinearizablePrefix.Count);
        var text = violation.Describe();
        Assert.Contains("NOT LINEARIZABLE", text);
        Assert.Contains("top(s) -> \"a\"", text);
        Assert.Contains("size 2: [\"a\", \"b\"]", text);
    }
}
