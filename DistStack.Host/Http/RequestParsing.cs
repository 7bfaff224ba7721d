using System.Text;

namespace DistStack.Host.Http;

/// <summary>
/// Turns raw request bodies and headers into validated stack ids, values and request keys. Pure functions over
/// strings and bytes, so every rule is unit-tested without a server.
/// </summary>
public static class RequestParsing
{
    public const int MaxBodyBytes = 1024 * 1024;
    public const int MaxStackIdLength = 128;
    public const int MaxValueBytes = 64 * 1024;
    public const int MaxIdempotencyKeyLength = 128;
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Strict UTF-8 (invalid bytes are an error, never U+FFFD), then surrounding whitespace trimmed.</summary>
    public static ParseResult<string> DecodeBody(ReadOnlySpan<byte> body)
    {
        try
        {
            return ParseResult<string>.Ok(StrictUtf8.GetString(body).Trim());
        }
        catch (DecoderFallbackException)
        {
            return ParseResult<string>.Fail("the body is not valid UTF-8");
        }
    }

    /// <summary>A stack id: 1–128 characters of [A-Za-z0-9._-].</summary>
    public static ParseResult<string> StackId(string text)
    {
        if (text.Length == 0) return ParseResult<string>.Fail("the body must be a stack id, e.g. -d 1");
        if (text.Length > MaxStackIdLength)
            return ParseResult<string>.Fail($"a stack id has at most {MaxStackIdLength} characters, this one has {text.Length}");
        foreach (var c in text)
        {
            if (!IsStackIdChar(c))
                return ParseResult<string>.Fail($"a stack id may contain only letters, digits, '.', '_' and '-'; got {Describe(c)}");
        }
        return ParseResult<string>.Ok(text);
    }

    /// <summary><c>id,value</c>: the value is everything after the FIRST comma (it may contain commas), 1 byte to 64 KiB.</summary>
    public static ParseResult<(string StackId, string Value)> StackIdAndValue(string text)
    {
        var comma = text.IndexOf(',');
        if (comma < 0) return ParseResult<(string, string)>.Fail("the body must be id,value (e.g. -d 1,10); there is no comma");
        var id = StackId(text[..comma]);
        if (!id.IsOk) return ParseResult<(string, string)>.Fail(id.Error);
        var value = text[(comma + 1)..];
        if (value.Length == 0) return ParseResult<(string, string)>.Fail("the value after the comma is empty");
        var bytes = Encoding.UTF8.GetByteCount(value);
        if (bytes > MaxValueBytes)
            return ParseResult<(string, string)>.Fail($"a value has at most {MaxValueBytes} bytes, this one has {bytes}");
        return ParseResult<(string, string)>.Ok((id.Value, value));
    }

    /// <summary>
    /// The Idempotency-Key header: absent → null (the gateway makes a fresh key); present → 1–128 visible ASCII
    /// characters (0x21–0x7E), else an error.
    /// </summary>
    public static ParseResult<string?> IdempotencyKey(IReadOnlyList<string?> headerValues)
    {
        if (headerValues.Count == 0) return ParseResult<string?>.Ok(null);
        if (headerValues.Count > 1) return ParseResult<string?>.Fail($"send one {IdempotencyKeyHeader} header, not {headerValues.Count}");
        var key = headerValues[0] ?? "";
        if (key.Length is 0 or > MaxIdempotencyKeyLength)
            return ParseResult<string?>.Fail($"{IdempotencyKeyHeader} must be 1 to {MaxIdempotencyKeyLength} characters, got {key.Length}");
        foreach (var c in key)
        {
            if (c is < '!' or > '~')
                return ParseResult<string?>.Fail($"{IdempotencyKeyHeader} may contain only visible ASCII characters; got {Describe(c)}");
        }
        return ParseResult<string?>.Ok(key);
    }

    private static bool IsStackIdChar(char c) =>
        c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '.' or '_' or '-';

    private static string Describe(char c) =>
        c is >= '!' and <= '~' ? $"'{c}'" : $"U+{(int)c:X4}";
}

/// <summary>A parsed value or a one-line reason why not.</summary>
public readonly record struct ParseResult<T>(bool IsOk, T Value, string Error)
{
    public static ParseResult<T> Ok(T value) => new(true, value, "");
    public static ParseResult<T> Fail(string error) => new(false, default!, error);
}
