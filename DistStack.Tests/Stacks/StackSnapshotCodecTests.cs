using DistStack.Actors.Stacks;
using DistStack.Tests.Support;

namespace DistStack.Tests.Stacks;

public sealed class StackSnapshotCodecTests
{
    private static readonly StackStateOptions Options = new(1_000);

    private static StackState Sample()
    {
        var s = StackState.Empty(Options);
        long i = 0;
        (s, _) = s.Apply(++i, new CreateStack("c1", "orders"));
        (s, _) = s.Apply(++i, new CreateStack("c2", "empty"));
        (s, _) = s.Apply(++i, new CreateStack("c3", "日本"));
        for (var v = 0; v < 100; v++) (s, _) = s.Apply(++i, new PushValue($"p{v}", "orders", $"value-{v}"));
        (s, _) = s.Apply(++i, new PushValue("u", "日本", "🚀 zürich"));
        (s, _) = s.Apply(++i, new PopValue("pop", "orders"));
        (s, _) = s.Apply(++i, new PopValue("pop-empty", "empty"));
        (s, _) = s.Apply(++i, new PushValue("missing", "nope", "x"));
        s = s.Skip(++i);
        return s;
    }

    [Fact]
    public void A_snapshot_past_the_pooled_buffer_size_is_the_same_bytes_whatever_size_the_writer_expected()
    {
        // ~2.4 MB: the writer's buffer outgrows the pooled sizes whether it starts small or at the expected size.
        var s = StackState.Empty(Options);
        long i = 0;
        (s, _) = s.Apply(++i, new CreateStack("c", "big"));
        for (var v = 0; v < 60_000; v++) (s, _) = s.Apply(++i, new PushValue($"k{v}", "big", $"value-{v:D32}"));

        var grown = StackSnapshotCodec.Write(s);
        Assert.True(StackSnapshotCodec.StateLength(grown) > 2 << 20);
        Assert.Equal(grown, StackSnapshotCodec.Write(s, sizeHint: grown.Length));
        Assert.Equal(grown, StackSnapshotCodec.Write(s, sizeHint: grown.Length / 3));
        Assert.Equal(s.Digest, StackSnapshotCodec.Read(grown, Options).Digest);

        // Uncompressed (version 3, for a cluster with members that do not read version 4 yet): the same state.
        var uncompressed = StackSnapshotCodec.Write(s, compressed: false);
        Assert.Equal(3, uncompressed[0]);
        Assert.Equal(SnapshotBytes.Uncompressed(grown), uncompressed);
        Assert.Equal(uncompressed.Length, StackSnapshotCodec.StateLength(uncompressed));
        Assert.Equal(uncompressed.Length, StackSnapshotCodec.StateLength(grown));
        Assert.True(grown.Length * 4 < uncompressed.Length, $"compressed {grown.Length} of {uncompressed.Length} bytes");
        Assert.Equal(s.Digest, StackSnapshotCodec.Read(uncompressed, Options).Digest);
    }

    [Fact]
    public void A_round_trip_preserves_contents_digest_applied_index_and_keys()
    {
        var original = Sample();
        var bytes = StackSnapshotCodec.Write(original);
        Assert.Equal(StackSnapshotCodec.CurrentVersion, bytes[0]);
        var restored = StackSnapshotCodec.Read(bytes, Options);

        Assert.Equal(original.AppliedIndex, restored.AppliedIndex);
        Assert.Equal(original.Digest, restored.Digest);
        Assert.Equal(original.StackIds(), restored.StackIds());
        foreach (var id in original.StackIds())
        {
            Assert.Equal(original.ValuesTopDown(id), restored.ValuesTopDown(id));
            foreach (StackQuery q in new StackQuery[] { new StackExists(id), new TopOfStack(id), new SizeOfStack(id) })
                Assert.Equal(original.Query(q), restored.Query(q));
        }
        Assert.Equal(original.RememberedRequestKeys, restored.RememberedRequestKeys);

        // Every remembered answer is the same after the round trip (retries give the original results).
        var next = original.AppliedIndex + 1;
        foreach (var (key, command) in new (string, StackCommand)[]
                 {
                     ("pop", new PopValue("pop", "orders")), ("pop-empty", new PopValue("pop-empty", "empty")),
                     ("missing", new PushValue("missing", "nope", "x")), ("c1", new CreateStack("c1", "orders")),
                     ("u", new PushValue("u", "日本", "🚀 zürich")),
                 })
        {
            var (afterOriginal, a) = original.Apply(next, command);
            var (afterRestored, b) = restored.Apply(next, command);
            Assert.Equal(a, b);
            Assert.Equal(afterOriginal.Digest, afterRestored.Digest);
            Assert.Equal(original.Digest, afterRestored.Digest); // a retry changes nothing
        }
        // And a snapshot of the restored state is byte-for-byte the same.
        Assert.Equal(bytes, StackSnapshotCodec.Write(restored));
    }

    [Fact]
    public void The_empty_state_round_trips()
    {
        var empty = StackState.Empty(Options);
        var restored = StackSnapshotCodec.Read(StackSnapshotCodec.Write(empty), Options);
        Assert.Equal(0, restored.AppliedIndex);
        Assert.Equal(0UL, restored.Digest);
        Assert.Equal(0, restored.StackCount);
    }

    [Fact]
    public void Equal_states_give_identical_bytes_whatever_order_stacks_were_created_in()
    {
        // A window of 0 forgets each key at the next entry, so both tables end up empty and only stacks differ.
        var noMemory = new StackStateOptions(0);
        var a = StackState.Empty(noMemory);
        (a, _) = a.Apply(1, new CreateStack("k1", "x"));
        (a, _) = a.Apply(2, new CreateStack("k2", "y"));
        var b = StackState.Empty(noMemory);
        (b, _) = b.Apply(1, new CreateStack("k1", "y"));
        (b, _) = b.Apply(2, new CreateStack("k2", "x"));
        a = a.Skip(3);
        b = b.Skip(3);
        Assert.Equal(0, a.RememberedRequestKeys);
        Assert.Equal(StackSnapshotCodec.Write(a), StackSnapshotCodec.Write(b));
    }

    [Fact]
    public void An_unknown_version_is_refused_with_a_clear_message()
    {
        var bytes = StackSnapshotCodec.Write(Sample());
        bytes[0] = 9;
        var error = Assert.Throws<FormatException>(() => StackSnapshotCodec.Read(bytes, Options));
        Assert.Contains("version 9", error.Message);
    }

    [Fact]
    public void Truncated_or_corrupted_snapshots_are_refused()
    {
        var bytes = StackSnapshotCodec.Write(Sample());
        Assert.Throws<FormatException>(() => StackSnapshotCodec.Read([], Options));
        Assert.Throws<FormatException>(() => StackSnapshotCodec.Read(bytes.AsSpan(0, bytes.Length - 1), Options));
        Assert.Throws<FormatException>(() => StackSnapshotCodec.Read(bytes.AsSpan(0, bytes.Length / 2), Options));
        Assert.Throws<FormatException>(() => StackSnapshotCodec.Read([.. bytes, 0], Options));

        // Flip a byte inside a value (of the snapshot inside the compressed one): still parses, but the digest check
        // catches it.
        var corrupt = SnapshotBytes.Uncompressed(bytes);
        var at = Array.IndexOf(corrupt, (byte)'v', 20);
        corrupt[at] = (byte)'w';
        var error = Assert.Throws<FormatException>(() => StackSnapshotCodec.Read(corrupt, Options));
        Assert.Contains("digest", error.Message);

        var random = new Random(1);
        for (var i = 0; i < 500; i++)
        {
            var mutated = (byte[])bytes.Clone();
            mutated[random.Next(1, mutated.Length)] ^= (byte)random.Next(1, 256);
            try { StackSnapshotCodec.Read(mutated, Options); }
            catch (FormatException) { }
        }
    }
}
