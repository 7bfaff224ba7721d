using DistStack.Actors.Stacks;

namespace DistStack.Tests.Stacks;

/// <summary>
/// Seeded random command sequences against a plain mutable model. Retries (an old request key) must answer
/// what the first attempt answered and change nothing; every few hundred steps the state goes through a
/// snapshot round trip, as a follower installing a snapshot would.
/// </summary>
public sealed class StackModelPropertyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(20261126)]
    public void Random_histories_match_a_simple_model(int seed)
    {
        var random = new Random(seed);
        const long window = 300;
        var options = new StackStateOptions(window);
        var state = StackState.Empty(options);
        var model = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var answered = new List<(long Index, StackCommand Command, StackResult Result)>();
        string[] ids = ["a", "b", "c", "d", "日本"];

        for (long index = 1; index <= 5_000; index++)
        {
            if (random.Next(20) == 0)
            {
                state = state.Skip(index);
                continue;
            }

            // A retry of a command still inside the window: cached answer, no effect.
            var recent = answered.Where(a => a.Index + window >= index).ToList();
            if (recent.Count > 0 && random.Next(8) == 0)
            {
                var (_, old, oldResult) = recent[random.Next(recent.Count)];
                var digest = state.Digest;
                (state, var retried) = state.Apply(index, old);
                Assert.Equal(oldResult, retried);
                Assert.Equal(digest, state.Digest);
                continue;
            }

            var id = ids[random.Next(ids.Length)];
            var key = $"req-{index}";
            StackCommand command = random.Next(10) switch
            {
                0 => new CreateStack(key, id),
                1 => new DeleteStack(key, id),
                < 6 => new PushValue(key, id, $"v{random.Next(1000)}"),
                _ => new PopValue(key, id),
            };
            var expected = ApplyToModel(model, command);
            (state, var actual) = state.Apply(index, command);
            Assert.Equal(expected, actual);
            answered.Add((index, command, actual));

            foreach (var queried in ids) AssertMatches(model, state, queried);

            if (index % 997 == 0)
            {
                var restored = StackSnapshotCodec.Read(StackSnapshotCodec.Write(state), options);
                Assert.Equal(state.Digest, restored.Digest);
                state = restored;
            }
        }

        // Equal contents, built independently, give the same digest.
        var rebuilt = StackState.Empty(options);
        long i = 0;
        foreach (var (id, values) in model)
        {
            (rebuilt, _) = rebuilt.Apply(++i, new CreateStack($"x{i}", id));
            foreach (var v in values) (rebuilt, _) = rebuilt.Apply(++i, new PushValue($"x{i}", id, v));
        }
        Assert.Equal(state.Digest, rebuilt.Digest);
    }

    private static StackResult ApplyToModel(Dictionary<string, List<string>> model, StackCommand command)
    {
        var exists = model.TryGetValue(command.StackId, out var stack);
        switch (command)
        {
            case CreateStack when exists: return new StackResult(StackOutcome.AlreadyExists);
            case CreateStack: model[command.StackId] = []; return new StackResult(StackOutcome.Created);
            case DeleteStack when exists: model.Remove(command.StackId); return new StackResult(StackOutcome.Ok);
            case PushValue push when exists:
                stack!.Add(push.Value);
                return new StackResult(StackOutcome.Ok, Size: stack.Count);
            case PopValue when exists && stack!.Count == 0: return new StackResult(StackOutcome.Empty);
            case PopValue when exists:
                var top = stack![^1];
                stack.RemoveAt(stack.Count - 1);
                return new StackResult(StackOutcome.Ok, top);
            default: return new StackResult(StackOutcome.NotFound);
        }
    }

    private static void AssertMatches(Dictionary<string, List<string>> model, StackState state, string id)
    {
        if (!model.TryGetValue(id, out var stack))
        {
            Assert.Equal(StackOutcome.NotFound, state.Query(new StackExists(id)).Outcome);
            Assert.Equal(StackOutcome.NotFound, state.Query(new SizeOfStack(id)).Outcome);
            Assert.Equal(StackOutcome.NotFound, state.Query(new TopOfStack(id)).Outcome);
            return;
        }
        Assert.Equal(new StackResult(StackOutcome.Ok), state.Query(new StackExists(id)));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: stack.Count), state.Query(new SizeOfStack(id)));
        Assert.Equal(
            stack.Count == 0 ? new StackResult(StackOutcome.Empty) : new StackResult(StackOutcome.Ok, stack[^1]),
            state.Query(new TopOfStack(id)));
    }
}
