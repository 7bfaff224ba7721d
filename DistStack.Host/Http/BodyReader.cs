namespace DistStack.Host.Http;

/// <summary>
/// Reads the body as raw bytes (no form decoding: curl -d sends it as it is), at most
/// <see cref="RequestParsing.MaxBodyBytes"/>; one byte more is a 413.
/// </summary>
public static class BodyReader
{
    public static async Task<byte[]?> ReadAtMostAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit) return null;

        // Kestrel's own limit (30 MB) is far above ours; raise nothing, just stop reading past ours.
        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 256);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
