using System.Text;
using System.Text.Json;
using DistStack.Actors.Stacks;

namespace DistStack.Host.Http.V1;

/// <summary>
/// The body of a push: a JSON array of 1 to <see cref="MaxValues"/> strings, each 1 byte to 64 KiB of UTF-8 (the text
/// API's value rule). Read with a strict reader: no comments, no trailing commas, nothing after the array, invalid
/// UTF-8 and lone surrogates refused. Pure, so every rule is unit-tested without a server.
/// </summary>
public static class JsonValues
{
    /// <summary>Values per push request; the 1 MiB body bound usually comes first.</summary>
    public const int MaxValues = 10_000;

    public static ParseResult<IReadOnlyList<string>> Parse(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty) return Fail("the body is empty; it must be a JSON array of strings, e.g. [\"a\",\"b\"]");
        var values = new List<string>();
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 2 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                return Fail("the body must be a JSON array of strings, e.g. [\"a\",\"b\"]");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.String)
                    return Fail($"item {values.Count} is a JSON {Describe(reader.TokenType)}, not a string");
                if (values.Count == MaxValues) return Fail($"at most {MaxValues} values per request");
                var value = reader.GetString()!;
                if (!StackCommandCodec.IsWellFormed(value)) return Fail($"item {values.Count} is not well-formed Unicode (a lone surrogate)");
                var bytes = Encoding.UTF8.GetByteCount(value);
                if (bytes is 0 or > RequestParsing.MaxValueBytes)
                    return Fail($"item {values.Count} has {bytes} bytes; a value has 1 to {RequestParsing.MaxValueBytes}");
                values.Add(value);
            }
            if (reader.TokenType != JsonTokenType.EndArray) return Fail("the JSON array is not closed");
            if (reader.Read()) return Fail("nothing may follow the JSON array");
        }
        catch (JsonException e)
        {
            return Fail($"malformed JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            // GetString on invalid UTF-8 or an escaped lone surrogate.
            return Fail($"malformed JSON text: {e.Message}");
        }
        return values.Count == 0 ? Fail("the array is empty: push at least one value") : ParseResult<IReadOnlyList<string>>.Ok(values);
    }

    private static ParseResult<IReadOnlyList<string>> Fail(string error) => ParseResult<IReadOnlyList<string>>.Fail(error);

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.StartArray => "array",
        JsonTokenType.StartObject => "object",
        _ => token.ToString(),
    };
}
