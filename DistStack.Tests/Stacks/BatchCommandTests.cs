using DistStack.Actors.Stacks;

namespace DistStack.Tests.Stacks;

/// <summary>Push of many and pop of many: one log entry each, all or nothing, retried by key like any command.</summary>
public sealed class BatchCommandTests
{
    private static readonly StackStateOptions Options = new();
    private StackState _state = StackState.Empty(Options);
    private long _index;

    private StackResult Run(StackCommand command)
    {
        (_state, var result) = _state.Apply(++_index, command);
        return result;
    }

    [Fact]
    public void A_push_of_many_lands_in_order_with_the_last_on_top()
    {
        Run(new CreateStack("c", "s"));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 3), Run(new PushValues("p", "s", ["a", "b", "c"])));
        Assert.Equal(["c", "b", "a"], _state.ValuesTopDown("s"));
    }

    [Fact]
    public void A_push_of_many_leaves_the_same_digest_as_the_same_single_pushes()
    {
        Run(new CreateStack("c", "s"));
        Run(new PushValues("p", "s", ["a", "b"]));
        var one = StackState.Empty(Options);
        (one, _) = one.Apply(1, new CreateStack("c", "s"));
        (one, _) = one.Apply(2, new PushValue("p1", "s", "a"));
        (one, _) = one.Apply(3, new PushValue("p2", "s", "b"));
        Assert.Equal(one.Digest, _state.Digest);
    }

    [Fact]
    public void A_pop_of_many_takes_from_the_top_and_says_what_is_left()
    {
        Run(new CreateStack("c", "s"));
        Run(new PushValues("p", "s", ["a", "b", "c"]));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 1, Values: ["c", "b"]), Run(new PopValues("q", "s", 2)));
        Assert.Equal(["a"], _state.ValuesTopDown("s"));
    }

    [Fact]
    public void A_pop_of_more_than_the_stack_holds_pops_what_is_there()
    {
        Run(new CreateStack("c", "s"));
        Run(new PushValues("p", "s", ["a", "b"]));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 0, Values: ["b", "a"]), Run(new PopValues("q", "s", 1000)));
        Assert.Equal(new StackResult(StackOutcome.Empty), Run(new PopValues("r", "s", 5)));
    }

    [Fact]
    public void Batches_on_a_missing_stack_change_nothing()
    {
        Assert.Equal(StackOutcome.NotFound, Run(new PushValues("p", "s", ["a"])).Outcome);
        Assert.Equal(StackOutcome.NotFound, Run(new PopValues("q", "s", 3)).Outcome);
        Assert.Equal(0, _state.StackCount);
    }

    [Fact]
    public void A_retried_pop_of_many_returns_the_same_values_and_pops_nothing_more()
    {
        Run(new CreateStack("c", "s"));
        Run(new PushValues("p", "s", ["a", "b", "c"]));
        var first = Run(new PopValues("q", "s", 2) { KeyFromClient = true });
        var retry = Run(new PopValues("q", "s", 2) { KeyFromClient = true });
        Assert.Equal(first, retry);
        Assert.Equal(["a"], _state.ValuesTopDown("s"));
        Assert.Equal(StackOutcome.KeyReused, Run(new PopValues("q", "s", 3) { KeyFromClient = true }).Outcome);
        Assert.Equal(StackOutcome.KeyReused, Run(new PushValues("p", "s", ["a", "b"])).Outcome);
    }

    [Fact]
    public void A_snapshot_keeps_the_values_a_pop_of_many_answered()
    {
        Run(new CreateStack("c", "s"));
        Run(new PushValues("p", "s", ["a", "b"]));
        var popped = Run(new PopValues("q", "s", 2));
        var restored = StackSnapshotCodec.Read(StackSnapshotCodec.Write(_state), Options);
        Assert.Equal(_state.Digest, restored.Digest);
        (_, var retry) = restored.Apply(_index + 1, new PopValues("q", "s", 2));
        Assert.Equal(popped, retry);
    }

    [Fact]
    public void Batches_round_trip_through_the_codec_in_version_3_and_single_commands_stay_version_2()
    {
        StackCommand[] batches = [new PushValues("k", "s", ["a", "€", ""]) { KeyFromClient = true }, new PopValues("k", "s", 1000)];
        foreach (var command in batches)
        {
            var bytes = StackCommandCodec.Encode(command, 5);
            Assert.Equal(3, bytes[0]);
            Assert.Equal(command, StackCommandCodec.Decode(bytes, out var stamp));
            Assert.Equal(5, stamp);
        }
        Assert.Equal(2, StackCommandCodec.Encode(new PushValue("k", "s", "v"))[0]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public void A_pop_of_many_outside_1_to_1000_is_refused_before_it_is_encoded(int count)
    {
        Assert.NotNull(StackCommandCodec.Validate(new PopValues("k", "s", count)));
        Assert.Throws<ArgumentException>(() => StackCommandCodec.Encode(new PopValues("k", "s", count)));
    }

    [Fact]
    public void An_empty_push_of_many_is_refused_before_it_is_encoded() =>
        Assert.NotNull(StackCommandCodec.Validate(new PushValues("k", "s", [])));

    [Fact]
    public void A_version_3_kind_written_as_version_2_is_refused_not_misread() =>
        // version 2, kind 6 (pop of many), which only version 3 may carry
        Assert.Throws<FormatException>(() => StackCommandCodec.Decode(Convert.FromHexString("02060000016b017303")));

    [Fact]
    public void A_listing_pages_through_ids_in_ordinal_order()
    {
        foreach (var id in new[] { "b", "a", "C", "d", "c" }) Run(new CreateStack("k" + id, id));
        Assert.Equal(["C", "a"], _state.Query(new ListStacks("", 2)).Values);
        Assert.Equal(["b", "c"], _state.Query(new ListStacks("a", 2)).Values);
        Assert.Equal(["d"], _state.Query(new ListStacks("c", 2)).Values);
        Assert.Equal([], _state.Query(new ListStacks("d", 2)).Values);
    }

    [Fact]
    public void Describe_answers_size_and_top_together()
    {
        Run(new CreateStack("c", "s"));
        Assert.Equal(new StackResult(StackOutcome.Ok, null, 0), _state.Query(new DescribeStack("s")));
        Run(new PushValues("p", "s", ["a", "b"]));
        Assert.Equal(new StackResult(StackOutcome.Ok, "b", 2), _state.Query(new DescribeStack("s")));
        Assert.Equal(StackOutcome.NotFound, _state.Query(new DescribeStack("t")).Outcome);
    }
}
