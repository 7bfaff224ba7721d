using System.Net;

namespace DistStack.Client;

/// <summary>
/// A request body that records when the handler starts writing it to a connection: until then the request has not
/// left this process (the connection was not made yet), so a cancelled attempt cannot have been applied.
/// </summary>
internal sealed class SendTrackingContent(byte[] body) : HttpContent
{
    private volatile bool _started;

    /// <summary>The handler began sending the request (its headers, then this body) on a connection.</summary>
    public bool Started => _started;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _started = true;
        await stream.WriteAsync(body, cancellationToken);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = body.Length;
        return true;
    }
}
