namespace DistStack.Actors.Hosting;

/// <summary>One configured member: its Raft id (1-based position in the cluster list) and remoting endpoint.</summary>
public sealed record PeerEndpoint(int NodeId, string Host, int Port)
{
    /// <summary>
    /// Accepts "host:port", "akka.tcp://diststack@host:port" or "http://host:port"; only host and port matter,
    /// so every founder derives the same peers (and the same cluster id) from the same list.
    /// </summary>
    public static PeerEndpoint Parse(int nodeId, string text)
    {
        var rest = text.Trim();
        var scheme = rest.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) rest = rest[(scheme + 3)..];
        var at = rest.LastIndexOf('@');
        if (at >= 0) rest = rest[(at + 1)..];
        var slash = rest.IndexOf('/');
        if (slash >= 0) rest = rest[..slash];
        var colon = rest.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(rest[(colon + 1)..], out var port) || port is <= 0 or > 65535)
            throw new FormatException($"Cluster member {nodeId} '{text}' is not host:port.");
        var host = rest[..colon].Trim('[', ']');
        return new PeerEndpoint(nodeId, host, port);
    }

    /// <summary>The normalized form used for hashing and for the identity file.</summary>
    public override string ToString() => $"{Host}:{Port}";
}
