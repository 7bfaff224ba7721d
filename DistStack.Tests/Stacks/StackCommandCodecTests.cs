using DistStack.Actors.Stacks;

namespace DistStack.Tests.Stacks;

public sealed class StackCommandCodecTests
{
    public static TheoryData<StackCommand> Commands => new()
    {
        new CreateStack("key-1", "orders"),
        new DeleteStack("key-2", "orders"),
        new PushValue("key-3", "orders", "hello"),
        new PushValue("", "", ""),
        new PushValue("ключ", "日本", "🚀 zürich"),
        new PushValue("k", "s", new string('v', 127)),
        new PushValue("k", "s", new string('v', 128)),
        new PushValue("k", "s", new string('€', 1024)),
        new PushValue("k", "s", new string('€', 1025)),
        new PushValue("k", "s", new string('v', 70_000)),
        new PopValue("key-4", "orders"),
        new PopValue("client-key", "orders") { KeyFromClient = true },
        new PushValue("client-key", "orders", "v") { KeyFromClient = true },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_round_trips(StackCommand command)
    {
        var bytes = StackCommandCodec.Encode(command);
        Assert.Equal(StackCommandCodec.VersionOf(command), bytes[0]);
        Assert.Equal(command, StackCommandCodec.Decode(bytes));
    }

    [Fact]
    public void The_leaders_stamp_round_trips_with_the_command()
    {
        var command = new PushValue("k", "s", "v") { KeyFromClient = true };
        var decoded = StackCommandCodec.Decode(StackCommandCodec.Encode(command, 1_796_000_000_123), out var stamp);
        Assert.Equal(command, decoded);
        Assert.Equal(1_796_000_000_123, stamp);
        StackCommandCodec.Decode(StackCommandCodec.Encode(command), out var none);
        Assert.Equal(0, none);
        Assert.Throws<ArgumentOutOfRangeException>(() => StackCommandCodec.Encode(command, -1));
    }

    [Fact]
    public void Encoding_is_compact()
    {
        // version + kind + flags + stamp (6 bytes for today's Unix milliseconds) + 3 length bytes + the UTF-8 text.
        var bytes = StackCommandCodec.Encode(new PushValue("0123456789abcdef", "stack", "0123456789abcdef"), 1_796_000_000_000);
        Assert.Equal(3 + 6 + 3 + 16 + 5 + 16, bytes.Length);
    }

    [Fact]
    public void An_unknown_version_is_refused_with_a_clear_message()
    {
        var bytes = StackCommandCodec.Encode(new PopValue("k", "s"));
        bytes[0] = 4;
        var error = Assert.Throws<FormatException>(() => StackCommandCodec.Decode(bytes));
        Assert.Contains("version 4", error.Message);
    }

    [Fact]
    public void Garbage_is_refused()
    {
        var valid = StackCommandCodec.Encode(new PushValue("k", "s", "value"));
        Assert.Throws<FormatException>(() => StackCommandCodec.Decode([]));
        Assert.Throws<FormatException>(() => StackCommandCodec.Decode(valid.AsSpan(0, valid.Length - 1)));
        Assert.Throws<FormatException>(() => StackCommandCodec.Decode([.. valid, 0]));
        Assert.Throws<FormatException>(() => StackCommandCodec.Decode([1, 9, 1, (byte)'k', 1, (byte)'s']));
        Assert.Throws<FormatException>(() => StackCommandCodec.Decode([1, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]));
        Assert.Throws<FormatException>(() => StackCommandCodec.Decode([1, 1, 1, 0xC3, 1, (byte)'s'])); // bad UTF-8
        Assert.Throws<FormatException>(() => StackCommandCodec.Decode([2, 1, 2, 0, 1, (byte)'k', 1, (byte)'s'])); // unknown flag

        var random = new Random(42);
        for (var i = 0; i < 2_000; i++)
        {
            var garbage = new byte[random.Next(0, 40)];
            random.NextBytes(garbage);
            if (garbage.Length > 0) garbage[0] = 1;
            try { StackCommandCodec.Decode(garbage); }
            catch (FormatException) { }
        }
    }

    [Fact]
    public void Text_that_utf8_cannot_hold_is_refused_at_encode_not_silently_altered()
    {
        var command = new PushValue("k", "s", "lone \uD800 surrogate");
        Assert.NotNull(StackCommandCodec.Validate(command));
        Assert.Throws<ArgumentException>(() => StackCommandCodec.Encode(command));
        Assert.Null(StackCommandCodec.Validate(new PushValue("k", "s", "pair \uD83D\uDE80 ok")));
        Assert.NotNull(StackCommandCodec.Validate(new PushValue("k", "s", null!)));
        Assert.NotNull(StackCommandCodec.Validate(new CreateStack(null!, "s")));
    }
}
