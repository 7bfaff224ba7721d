using System.Text;
using DistStack.Host.Http;
using DistStack.Host.Http.V1;

namespace DistStack.Tests.Host;

/// <summary>The push body rules of the /v1 API, without a server.</summary>
public sealed class JsonValuesTests
{
    private static ParseResult<IReadOnlyList<string>> Parse(string json) => JsonValues.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void An_array_of_strings_reads_in_order_with_escapes_and_non_ascii()
    {
        var parsed = Parse("""[ "a", "b,c", "\u00fc", "🚀", "line\nbreak" ]""");
        Assert.True(parsed.IsOk, parsed.Error);
        Assert.Equal(["a", "b,c", "ü", "🚀", "line\nbreak"], parsed.Value);
    }

    [Fact]
    public void Exactly_the_limit_of_values_is_accepted_and_one_more_is_not()
    {
        Assert.True(Parse("[" + string.Join(",", Enumerable.Repeat("\"v\"", JsonValues.MaxValues)) + "]").IsOk);
        Assert.Contains("at most", Parse("[" + string.Join(",", Enumerable.Repeat("\"v\"", JsonValues.MaxValues + 1)) + "]").Error);
    }

    [Fact]
    public void A_value_of_exactly_64_KiB_is_accepted_and_one_byte_more_is_not()
    {
        Assert.True(Parse($"[\"{new string('v', 64 * 1024)}\"]").IsOk);
        Assert.False(Parse($"[\"{new string('v', 64 * 1024 + 1)}\"]").IsOk);
    }

    [Theory]
    [InlineData("", "array")]
    [InlineData("\"a\"", "array")]
    [InlineData("[\"a\",]", "malformed")]
    [InlineData("[true]", "boolean")]
    [InlineData("[{}]", "object")]
    [InlineData("[\"\\udc00\"]", "malformed")]
    public void Everything_else_is_refused_with_a_reason(string json, string reason) =>
        Assert.Contains(reason, Parse(json).Error);

    [Fact]
    public void Invalid_utf8_is_refused() =>
        Assert.False(JsonValues.Parse([(byte)'[', (byte)'"', 0xc3, (byte)'"', (byte)']']).IsOk);
}
