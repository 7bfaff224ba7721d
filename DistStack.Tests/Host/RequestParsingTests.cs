using System.Text;
using DistStack.Host.Http;

namespace DistStack.Tests.Host;

public sealed class RequestParsingTests
{
    [Theory]
    [InlineData("1")]
    [InlineData("a.B_c-9")]
    public void Stack_ids_of_allowed_characters_are_accepted(string id) =>
        Assert.Equal(id, RequestParsing.StackId(id).Value);

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a,b")]
    [InlineData("ü")]
    [InlineData("a/b")]
    public void Stack_ids_with_other_characters_or_empty_are_rejected(string id)
    {
        var result = RequestParsing.StackId(id);
        Assert.False(result.IsOk);
        Assert.NotEmpty(result.Error);
        Assert.DoesNotContain('\n', result.Error);
    }

    [Fact]
    public void Stack_ids_are_limited_to_128_characters()
    {
        Assert.True(RequestParsing.StackId(new string('a', 128)).IsOk);
        Assert.Contains("at most 128", RequestParsing.StackId(new string('a', 129)).Error);
    }

    [Fact]
    public void The_value_is_everything_after_the_first_comma()
    {
        var parsed = RequestParsing.StackIdAndValue("s1,a,b, c");
        Assert.Equal(("s1", "a,b, c"), parsed.Value);
    }

    [Theory]
    [InlineData("s1", "no comma")]
    [InlineData("s1,", "empty")]
    [InlineData(",10", "stack id")]
    [InlineData("s 1,10", "only letters")]
    public void Malformed_pushes_are_rejected(string body, string expected) =>
        Assert.Contains(expected, RequestParsing.StackIdAndValue(body).Error);

    [Fact]
    public void Values_are_limited_to_64_KiB_counted_in_UTF8_bytes()
    {
        Assert.True(RequestParsing.StackIdAndValue("s," + new string('x', 64 * 1024)).IsOk);
        Assert.False(RequestParsing.StackIdAndValue("s," + new string('x', 64 * 1024 + 1)).IsOk);
        // 'é' is two bytes in UTF-8: 32 Ki of them are exactly 64 KiB, one more is over.
        Assert.True(RequestParsing.StackIdAndValue("s," + new string('é', 32 * 1024)).IsOk);
        Assert.False(RequestParsing.StackIdAndValue("s," + new string('é', 32 * 1024) + "x").IsOk);
    }

    [Fact]
    public void Bodies_are_strict_UTF8_and_trimmed()
    {
        Assert.Equal("1,10", RequestParsing.DecodeBody(Encoding.UTF8.GetBytes(" \t1,10\r\n")).Value);
        Assert.Equal("é", RequestParsing.DecodeBody(Encoding.UTF8.GetBytes("é")).Value);
        Assert.Equal("the body is not valid UTF-8", RequestParsing.DecodeBody([0x31, 0x2C, 0xFF]).Error);
        Assert.False(RequestParsing.DecodeBody([0xC3]).IsOk); // truncated sequence
        Assert.False(RequestParsing.DecodeBody([0xED, 0xA0, 0x80]).IsOk); // UTF-16 surrogate encoded in UTF-8
    }

    [Fact]
    public void Idempotency_keys_are_optional_and_1_to_128_visible_ASCII_characters()
    {
        Assert.Null(RequestParsing.IdempotencyKey([]).Value);
        Assert.True(RequestParsing.IdempotencyKey([]).IsOk);
        Assert.Equal("abc-123_!~", RequestParsing.IdempotencyKey(["abc-123_!~"]).Value);
        Assert.True(RequestParsing.IdempotencyKey([new string('k', 128)]).IsOk);

        Assert.False(RequestParsing.IdempotencyKey([new string('k', 129)]).IsOk);
        Assert.False(RequestParsing.IdempotencyKey([""]).IsOk);
        Assert.False(RequestParsing.IdempotencyKey(["a b"]).IsOk);
        Assert.False(RequestParsing.IdempotencyKey(["ключ"]).IsOk);
        Assert.False(RequestParsing.IdempotencyKey(["a", "b"]).IsOk);
    }
}
