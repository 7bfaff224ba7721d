using DistStack.Actors.Stacks;

namespace DistStack.Tests.Stacks;

public sealed class StackDigestTests
{
    private static StackState Build(params StackCommand[] commands)
    {
        var s = StackState.Empty(new StackStateOptions());
        for (var i = 0; i < commands.Length; i++) (s, _) = s.Apply(i + 1, commands[i]);
        return s;
    }

    [Fact]
    public void The_empty_state_has_digest_zero()
    {
        Assert.Equal(0UL, StackState.Empty(new StackStateOptions()).Digest);
    }

    [Fact]
    public void Equal_histories_give_equal_digests()
    {
        StackCommand[] history =
        [
            new CreateStack("1", "a"), new PushValue("2", "a", "x"), new CreateStack("3", "b"),
            new PushValue("4", "b", "y"), new PopValue("5", "a"),
        ];
        Assert.Equal(Build(history).Digest, Build(history).Digest);
    }

    [Fact]
    public void Equal_contents_reached_differently_give_equal_digests()
    {
        // Digest covers contents, not history: stacks created in another order, or a push undone by a pop.
        var one = Build(new CreateStack("1", "a"), new CreateStack("2", "b"), new PushValue("3", "a", "x"));
        var two = Build(new CreateStack("1", "b"), new CreateStack("2", "a"), new PushValue("3", "a", "y"),
            new PopValue("4", "a"), new PushValue("5", "a", "x"));
        Assert.Equal(one.Digest, two.Digest);
    }

    [Fact]
    public void Different_order_of_values_gives_a_different_digest()
    {
        var xy = Build(new CreateStack("1", "a"), new PushValue("2", "a", "x"), new PushValue("3", "a", "y"));
        var yx = Build(new CreateStack("1", "a"), new PushValue("2", "a", "y"), new PushValue("3", "a", "x"));
        Assert.NotEqual(xy.Digest, yx.Digest);
    }

    [Fact]
    public void Different_contents_give_different_digests()
    {
        var baseline = Build(new CreateStack("1", "a"), new PushValue("2", "a", "x"));
        Assert.NotEqual(baseline.Digest, Build(new CreateStack("1", "a"), new PushValue("2", "a", "z")).Digest);
        Assert.NotEqual(baseline.Digest, Build(new CreateStack("1", "b"), new PushValue("2", "b", "x")).Digest);
        Assert.NotEqual(baseline.Digest, Build(new CreateStack("1", "a")).Digest);
        // The same value in a different stack, and an empty stack versus no stack.
        Assert.NotEqual(
            Build(new CreateStack("1", "a"), new CreateStack("2", "b"), new PushValue("3", "a", "x")).Digest,
            Build(new CreateStack("1", "a"), new CreateStack("2", "b"), new PushValue("3", "b", "x")).Digest);
        Assert.NotEqual(0UL, Build(new CreateStack("1", "a")).Digest);
        // Value boundaries matter: ["ab"] is not ["a", "b"].
        Assert.NotEqual(
            Build(new CreateStack("1", "a"), new PushValue("2", "a", "ab")).Digest,
            Build(new CreateStack("1", "a"), new PushValue("2", "a", "a"), new PushValue("3", "a", "b")).Digest);
    }

    [Fact]
    public void A_pop_restores_the_digest_before_the_push()
    {
        var s = Build(new CreateStack("1", "a"), new PushValue("2", "a", "x"));
        var before = s.Digest;
        (s, _) = s.Apply(3, new PushValue("3", "a", "y"));
        Assert.NotEqual(before, s.Digest);
        (s, _) = s.Apply(4, new PopValue("4", "a"));
        Assert.Equal(before, s.Digest);
    }

    [Fact]
    public void Deleting_a_stack_removes_exactly_its_share()
    {
        var withB = Build(new CreateStack("1", "a"), new PushValue("2", "a", "x"), new CreateStack("3", "b"),
            new PushValue("4", "b", "y"), new DeleteStack("5", "b"));
        var withoutB = Build(new CreateStack("1", "a"), new PushValue("2", "a", "x"));
        Assert.Equal(withoutB.Digest, withB.Digest);
    }

    [Fact]
    public void The_digest_is_a_fixed_function_of_contents_across_processes()
    {
        // Pinned value: if this changes, nodes running different builds would disagree on digests.
        var s = Build(new CreateStack("1", "stack"), new PushValue("2", "stack", "hello"),
            new PushValue("3", "stack", "wörld"));
        Assert.Equal(PinnedDigest, s.Digest);
    }

    // Computed once by this implementation; string.GetHashCode would make it differ run to run.
    private const ulong PinnedDigest = 189060849820328441UL;

    [Fact]
    public void Hashing_a_string_equals_hashing_its_utf8_bytes()
    {
        var random = new Random(7);
        string[] samples = ["", "a", "hello", "zürich", "日本語", "🚀🚀", "\uD800", "a\uDC00b", new string('x', 5000)];
        foreach (var text in samples.Concat(Enumerable.Range(0, 200).Select(_ => RandomText(random))))
            Assert.Equal(
                StackHashing.Hash(System.Text.Encoding.UTF8.GetBytes(text)),
                StackHashing.Hash(text));
    }

    private static string RandomText(Random random)
    {
        var chars = new char[random.Next(0, 40)];
        for (var i = 0; i < chars.Length; i++)
            chars[i] = random.Next(4) switch
            {
                0 => (char)random.Next(0x20, 0x7F),
                1 => (char)random.Next(0x80, 0x800),
                2 => (char)random.Next(0x800, 0xD800),
                _ => (char)random.Next(0xD800, 0xE000), // surrogates, paired or not
            };
        return new string(chars);
    }
}
