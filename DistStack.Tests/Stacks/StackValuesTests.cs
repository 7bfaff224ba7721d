using System.Text;
using DistStack.Actors.Stacks;
using DistStack.Actors.Wire;
using Xunit.Abstractions;

namespace DistStack.Tests.Stacks;

/// <summary>
/// <see cref="StackValues"/> shares append-only chunks between the versions of a stack. Whatever is shared, every
/// version must keep exactly the values, size and chain hash it had when it was made: a push onto an older version
/// (after a pop, or a test applying to an earlier state) must not change what a newer one sees, and the reverse.
/// </summary>
public sealed class StackValuesTests
{
    private readonly ITestOutputHelper _output;

    public StackValuesTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Every_version_keeps_its_values_while_others_push_and_pop(int seed)
    {
        _output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        // Versions held at once, each with the plain list of its values (bottom first) it must equal.
        var versions = new List<(StackValues Values, List<string> Model)> { (StackValues.Empty, []) };
        for (var step = 0; step < 2_000; step++)
        {
            var (values, model) = versions[random.Next(versions.Count)];
            (StackValues, List<string>) next;
            if (model.Count > 0 && random.Next(3) == 0)
                next = (values.Below, model.Take(model.Count - 1).ToList());
            else
            {
                var value = RandomValue(random, step);
                next = (values.Push(value), [.. model, value]);
            }
            if (versions.Count < 12) versions.Add(next);
            else versions[random.Next(versions.Count)] = next;
            // The new version and one other every step, all of them every 50: each check is O(size).
            AssertHolds(next.Item1, next.Item2, $"seed {seed}, step {step}, the new version");
            var other = versions[random.Next(versions.Count)];
            AssertHolds(other.Values, other.Model, $"seed {seed}, step {step}");
            if (step % 50 == 0)
                foreach (var (held, expected) in versions) AssertHolds(held, expected, $"seed {seed}, step {step}, every version");
        }
    }

    [Fact]
    public void A_push_after_a_pop_at_every_depth_leaves_the_popped_value_to_the_older_version()
    {
        // Every depth, so that the branch falls at the start, middle and end of a chunk.
        var values = StackValues.Empty;
        var model = new List<string>();
        for (var depth = 1; depth <= 3 * StackValues.ChunkCapacity + 1; depth++)
        {
            var newer = values.Push($"newer-{depth}");
            var branch = newer.Below.Push($"branch-{depth}");
            AssertHolds(newer, [.. model, $"newer-{depth}"], $"depth {depth}: the newer version");
            AssertHolds(branch, [.. model, $"branch-{depth}"], $"depth {depth}: the branch");
            values = newer;
            model.Add($"newer-{depth}");
        }
    }

    [Fact]
    public void Values_are_kept_as_their_utf8_bytes()
    {
        var long_ = new string('x', 5_000);
        var values = StackValues.Empty.Push("plain").Push("ünïcødé ✓ 𝄞").Push(long_).Push("");
        Assert.Equal(["", long_, "ünïcødé ✓ 𝄞", "plain"], values.TopDown());
        Assert.Equal(Encoding.UTF8.GetBytes(""), values.TopUtf8.ToArray());

        var restored = StackValues.Empty;
        foreach (var value in new[] { "plain", "ünïcødé ✓ 𝄞", long_, "" })
        {
            var utf8 = Encoding.UTF8.GetBytes(value);
            restored = restored.Push(utf8, StackHashing.Hash(utf8));
        }
        Assert.Equal(values.ChainHash, restored.ChainHash);
        Assert.Equal(values.TopDown(), restored.TopDown());
    }

    [Fact]
    public void Dropping_many_values_at_once_is_the_same_version_as_popping_them_one_by_one()
    {
        // Every count from none to all, so that the result falls at the start, middle and end of a chunk and on a
        // checkpoint; the stack's top chunk is partly filled.
        var values = StackValues.Empty;
        var model = new List<string>();
        for (var i = 0; i < 2 * StackValues.ChunkCapacity + 13; i++)
        {
            values = values.Push($"value-{i}");
            model.Add($"value-{i}");
        }
        var popped = values;
        for (var count = 0; count <= model.Count; count++)
        {
            var dropped = values.Without(count);
            AssertHolds(dropped, model.Take(model.Count - count).ToList(), $"without {count}");
            Assert.True(popped.ChainHash == dropped.ChainHash, $"without {count}: the chain hash differs from {count} pops");
            if (!popped.IsEmpty) popped = popped.Below;
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => values.Without(model.Count + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => values.Without(-1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Full_chunks_keep_no_more_than_an_eighth_of_unused_room(int seed)
    {
        // The benchmark's values: 16 ASCII bytes each. Doubling a chunk's array would leave 960 of 2,048 bytes unused.
        var uniform = StackValues.Empty;
        for (var i = 0; i < 64 * 100; i++) uniform = uniform.Push($"value-{i,10}");
        Assert.Equal(uniform.StoredBytes, uniform.ByteCapacity);

        var random = new Random(seed);
        _output.WriteLine($"seed {seed}");
        var uneven = StackValues.Empty;
        for (var i = 0; i < 64 * 100; i++) uneven = uneven.Push(RandomValue(random, i));
        Assert.True(uneven.ByteCapacity <= uneven.StoredBytes * 9 / 8,
            $"seed {seed}: {uneven.ByteCapacity} bytes of arrays for {uneven.StoredBytes} stored");
    }

    private static string RandomValue(Random random, int step) => random.Next(20) switch
    {
        0 => new string('é', random.Next(1, 200)) + step, // multi-byte, and longer than a chunk's first buffer
        1 => "",
        _ => $"v{step}-{random.Next(1_000_000)}",
    };

    private static void AssertHolds(StackValues values, List<string> bottomUp, string where)
    {
        Assert.True(bottomUp.Count == values.Count, $"{where}: size {values.Count}, expected {bottomUp.Count}");
        Assert.Equal(bottomUp.Count == 0, values.IsEmpty);
        var chain = StackHashing.EmptyChain;
        foreach (var value in bottomUp) chain = StackHashing.Chain(chain, StackHashing.Hash(value));
        Assert.True(chain == values.ChainHash, $"{where}: chain hash differs");
        // The stored ranges, end to end, are the values as a snapshot writes them: a varint length, then the UTF-8.
        var stored = new List<byte>();
        values.ForEachStoredRangeBottomUp(stored, static (list, array, length) => list.AddRange(array.AsSpan(0, length)));
        Assert.Equal(stored.Count, values.StoredBytes);
        var reader = new WireReader(stored.ToArray(), "stored values");
        var visited = new List<string>();
        while (reader.Remaining > 0) visited.Add(reader.ReadString());
        Assert.Equal(bottomUp, visited);
        Assert.Equal(Enumerable.Reverse(bottomUp), values.TopDown());
        if (bottomUp.Count > 0) Assert.Equal(bottomUp[^1], values.Value);
    }
}
