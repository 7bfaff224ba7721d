using DistStack.Actors.Stacks;

namespace DistStack.Tests.Stacks;

public sealed class HexRequestKeyTests
{
    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("00000000000000000000000000000000")]
    [InlineData("ffffffffffffffffffffffffffffffff")]
    [InlineData("8000000000000001f00000000000000e")]
    public void A_key_of_32_lowercase_hex_digits_packs_and_unpacks_to_itself_with_the_same_hash(string key)
    {
        Assert.True(HexRequestKey.TryPack(key, out var high, out var low));
        Assert.Equal(key, HexRequestKey.Unpack(high, low));
        Assert.Equal(StackHashing.Hash(key), HexRequestKey.Hash(high, low));
        Assert.True(HexRequestKey.Matches(high, low, key));
        Assert.False(HexRequestKey.Matches(high, low, key.ToUpperInvariant().Replace('0', 'x')));
        Assert.False(HexRequestKey.Matches(high, low, key[..31]));
        Assert.False(HexRequestKey.Matches(high, low, key + "0"));
        Assert.False(HexRequestKey.Matches(high, low, key[..31] + (key[31] == '0' ? '1' : '0')));
    }

    [Fact]
    public void Generated_keys_pack()
    {
        var random = new Random(20261203);
        for (var i = 0; i < 1_000; i++)
        {
            var bytes = new byte[16];
            random.NextBytes(bytes);
            var key = new Guid(bytes).ToString("N");
            Assert.True(HexRequestKey.TryPack(key, out var high, out var low), key);
            Assert.Equal(key, HexRequestKey.Unpack(high, low));
            Assert.Equal(StackHashing.Hash(key), HexRequestKey.Hash(high, low));
        }
    }

    /// <summary>Only a key that unpacks to exactly itself may pack: "ABC..." and "abc..." are different keys.</summary>
    [Theory]
    [InlineData("0123456789ABCDEF0123456789abcdef")]
    [InlineData("0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    [InlineData("01234567-89ab-cdef-0123-456789abcdef")]
    [InlineData("")]
    public void Anything_else_does_not_pack(string key) => Assert.False(HexRequestKey.TryPack(key, out _, out _));
}
