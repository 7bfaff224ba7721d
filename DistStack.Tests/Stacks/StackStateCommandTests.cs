using DistStack.Actors.Stacks;

namespace DistStack.Tests.Stacks;

public sealed class StackStateCommandTests
{
    private static readonly StackStateOptions Options = new();
    private StackState _state = StackState.Empty(Options);
    private long _index;
    private int _key;

    private StackResult Run(Func<string, StackCommand> command)
    {
        (_state, var result) = _state.Apply(++_index, command($"k{++_key}"));
        return result;
    }

    [Fact]
    public void Create_makes_a_new_empty_stack()
    {
        Assert.Equal(new StackResult(StackOutcome.Created), Run(k => new CreateStack(k, "s")));
        Assert.Equal(new StackResult(StackOutcome.Ok), _state.Query(new StackExists("s")));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 0), _state.Query(new SizeOfStack("s")));
        Assert.Equal(new StackResult(StackOutcome.Empty), _state.Query(new TopOfStack("s")));
    }

    [Fact]
    public void Create_on_an_existing_stack_reports_it_and_resets_nothing()
    {
        Run(k => new CreateStack(k, "s"));
        Run(k => new PushValue(k, "s", "a"));
        var digest = _state.Digest;

        Assert.Equal(new StackResult(StackOutcome.AlreadyExists), Run(k => new CreateStack(k, "s")));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 1), _state.Query(new SizeOfStack("s")));
        Assert.Equal(new StackResult(StackOutcome.Ok, "a"), _state.Query(new TopOfStack("s")));
        Assert.Equal(digest, _state.Digest);
    }

    [Fact]
    public void Push_answers_the_new_size_and_top_shows_the_last_value()
    {
        Run(k => new CreateStack(k, "s"));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 1), Run(k => new PushValue(k, "s", "a")));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 2), Run(k => new PushValue(k, "s", "b")));
        Assert.Equal(new StackResult(StackOutcome.Ok, "b"), _state.Query(new TopOfStack("s")));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 2), _state.Query(new SizeOfStack("s")));
    }

    [Fact]
    public void Pop_returns_values_last_in_first_out_then_reports_empty()
    {
        Run(k => new CreateStack(k, "s"));
        Run(k => new PushValue(k, "s", "a"));
        Run(k => new PushValue(k, "s", "b"));

        Assert.Equal(new StackResult(StackOutcome.Ok, "b"), Run(k => new PopValue(k, "s")));
        Assert.Equal(new StackResult(StackOutcome.Ok, "a"), Run(k => new PopValue(k, "s")));
        Assert.Equal(new StackResult(StackOutcome.Empty), Run(k => new PopValue(k, "s")));
        Assert.Equal(new StackResult(StackOutcome.Ok), _state.Query(new StackExists("s")));
    }

    [Fact]
    public void Commands_and_queries_on_a_missing_stack_report_not_found_and_change_nothing()
    {
        var digest = _state.Digest;
        Assert.Equal(StackOutcome.NotFound, Run(k => new PushValue(k, "nope", "a")).Outcome);
        Assert.Equal(StackOutcome.NotFound, Run(k => new PopValue(k, "nope")).Outcome);
        Assert.Equal(StackOutcome.NotFound, Run(k => new DeleteStack(k, "nope")).Outcome);
        Assert.Equal(StackOutcome.NotFound, _state.Query(new StackExists("nope")).Outcome);
        Assert.Equal(StackOutcome.NotFound, _state.Query(new TopOfStack("nope")).Outcome);
        Assert.Equal(StackOutcome.NotFound, _state.Query(new SizeOfStack("nope")).Outcome);
        Assert.Equal(0, _state.StackCount);
        Assert.Equal(digest, _state.Digest);
    }

    [Fact]
    public void Delete_removes_the_stack_and_its_values()
    {
        Run(k => new CreateStack(k, "s"));
        Run(k => new PushValue(k, "s", "a"));
        Assert.Equal(new StackResult(StackOutcome.Ok), Run(k => new DeleteStack(k, "s")));
        Assert.Equal(StackOutcome.NotFound, _state.Query(new StackExists("s")).Outcome);
        Assert.Equal(0UL, _state.Digest);

        Assert.Equal(StackOutcome.Created, Run(k => new CreateStack(k, "s")).Outcome);
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 0), _state.Query(new SizeOfStack("s")));
    }

    [Fact]
    public void Stacks_are_independent()
    {
        Run(k => new CreateStack(k, "a"));
        Run(k => new CreateStack(k, "b"));
        Run(k => new PushValue(k, "a", "1"));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 0), _state.Query(new SizeOfStack("b")));
        Assert.Equal(new StackResult(StackOutcome.Ok, "1"), _state.Query(new TopOfStack("a")));
        Assert.Equal(2, _state.StackCount);
    }

    [Fact]
    public void An_older_state_is_unchanged_by_later_applies()
    {
        Run(k => new CreateStack(k, "s"));
        Run(k => new PushValue(k, "s", "a"));
        var snapshot = _state;
        var digest = snapshot.Digest;

        Run(k => new PopValue(k, "s"));
        Run(k => new PushValue(k, "s", "x"));
        Run(k => new DeleteStack(k, "s"));

        Assert.Equal(2, snapshot.AppliedIndex);
        Assert.Equal(digest, snapshot.Digest);
        Assert.Equal(["a"], snapshot.ValuesTopDown("s"));
        Assert.Null(_state.ValuesTopDown("s"));
    }

    [Fact]
    public void Applied_index_follows_apply_and_skip()
    {
        Assert.Equal(0, _state.AppliedIndex);
        _state = _state.Skip(1);
        Assert.Equal(1, _state.AppliedIndex);
        (_state, _) = _state.Apply(5, new CreateStack("k", "s"));
        Assert.Equal(5, _state.AppliedIndex);
        var skipped = _state.Skip(6);
        Assert.Equal(6, skipped.AppliedIndex);
        Assert.Equal(_state.Digest, skipped.Digest);
    }

    [Fact]
    public void Apply_or_skip_at_an_index_not_after_the_applied_one_is_refused()
    {
        (_state, _) = _state.Apply(3, new CreateStack("k", "s"));
        Assert.Throws<InvalidOperationException>(() => _state.Apply(3, new CreateStack("k2", "t")));
        Assert.Throws<InvalidOperationException>(() => _state.Apply(2, new CreateStack("k2", "t")));
        Assert.Throws<InvalidOperationException>(() => _state.Skip(3));
        Assert.Throws<InvalidOperationException>(() => StackState.Empty(Options).Skip(0));
    }

    [Fact]
    public void Values_and_ids_may_be_any_unicode_text_including_empty()
    {
        Run(k => new CreateStack(k, ""));
        Run(k => new PushValue(k, "", ""));
        Run(k => new PushValue(k, "", "zürich 🚀 日本"));
        Assert.Equal(new StackResult(StackOutcome.Ok, "zürich 🚀 日本"), Run(k => new PopValue(k, "")));
        Assert.Equal(new StackResult(StackOutcome.Ok, ""), Run(k => new PopValue(k, "")));
    }

    [Fact]
    public void Size_of_a_large_stack_is_its_count()
    {
        Run(k => new CreateStack(k, "s"));
        for (var i = 0; i < 10_000; i++) Run(k => new PushValue(k, "s", i.ToString()));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 10_000), _state.Query(new SizeOfStack("s")));
        Assert.Equal(new StackResult(StackOutcome.Ok, "9999"), _state.Query(new TopOfStack("s")));
    }
}
