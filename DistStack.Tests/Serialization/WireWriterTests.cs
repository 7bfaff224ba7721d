using DistStack.Actors.Wire;
using Xunit.Abstractions;

namespace DistStack.Tests.Serialization;

/// <summary>Bytes written by reference come out exactly as if they had been copied where they were written.</summary>
public sealed class WireWriterTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Referenced_ranges_land_where_they_were_written(int seed)
    {
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        using var writer = new WireWriter(64);
        var expected = new List<byte>();
        for (var step = 0; step < 300; step++)
        {
            // Each write also goes, copied, into a writer of its own, whose bytes are what it must add.
            using var alone = new WireWriter(64);
            switch (random.Next(4))
            {
                case 0:
                    var number = random.NextInt64();
                    writer.WriteVarInt(number);
                    alone.WriteVarInt(number);
                    break;
                case 1:
                    var text = $"s{step}-{new string('x', random.Next(300))}";
                    writer.WriteString(text);
                    alone.WriteString(text);
                    break;
                case 2:
                    var block = RandomBytes(random, random.Next(2_000));
                    writer.WriteBytes(block);
                    alone.WriteBytes(block.AsSpan());
                    break;
                default:
                    var array = RandomBytes(random, random.Next(3_000));
                    var offset = random.Next(array.Length + 1);
                    var length = random.Next(array.Length - offset + 1);
                    writer.WriteReferenced(array, offset, length);
                    expected.AddRange(array.AsSpan(offset, length));
                    continue;
            }
            expected.AddRange(alone.ToArray());
        }
        var bytes = writer.ToArray();
        Assert.Equal(expected.ToArray(), bytes);
        Assert.Equal(bytes.Length, writer.Length);
    }

    [Fact]
    public void A_referenced_range_is_copied_by_ToArray_not_before()
    {
        var large = RandomBytes(new Random(7), 1_000);
        using var writer = new WireWriter(64);
        writer.WriteByte(1);
        writer.WriteReferenced(large, 100, 800);
        writer.WriteByte(2);
        var first = writer.ToArray();
        Assert.Equal(802, first.Length);
        Assert.Equal(large.AsSpan(100, 800).ToArray(), first.AsSpan(1, 800).ToArray());
        Assert.Equal(new byte[] { 1, 2 }, new[] { first[0], first[^1] });
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
