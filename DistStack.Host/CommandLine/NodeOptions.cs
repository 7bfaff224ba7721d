using Akka.Configuration;

namespace DistStack.Host.CommandLine;

/// <summary>
/// Everything one node needs to start, after hocon defaults, environment variables and flags were merged.
/// Node <see cref="NodeId"/> (1-based) is the <see cref="NodeId"/>-th URL of <see cref="Cluster"/>; that URL's
/// host:port is its Akka.Remote endpoint (the seed's "Raft port"). <see cref="RequestTimeout"/> and
/// <see cref="HandOverTimeout"/> are set only when a flag or environment variable gives them: they then override
/// diststack.clients.* (the node's settings say what it runs with). <see cref="UserConfig"/> is the --config file,
/// read and parsed once, here (empty without one).
/// </summary>
public sealed record NodeOptions(
    int NodeId,
    IReadOnlyList<Uri> Cluster,
    int HttpPort,
    string DataDir,
    TimeSpan? RequestTimeout,
    TimeSpan? HandOverTimeout,
    string? ConfigFile,
    Config UserConfig,
    LogFormat LogFormat = LogFormat.Text)
{
    /// <summary>Address the HTTP port listens on (an IP or "localhost"); null = all interfaces.</summary>
    public string? HttpBind { get; init; }

    /// <summary>HTTPS certificate (PEM or PKCS#12), its PEM key and password; null certificate = plain HTTP.</summary>
    public string? TlsCertificate { get; init; }
    public string? TlsKey { get; init; }
    public string? TlsPassword { get; init; }

    /// <summary>Peer TLS files given by flag or variable; they override diststack.peer-tls.* (null: the config decides).</summary>
    public string? PeerCertificate { get; init; }
    public string? PeerKey { get; init; }
    public string? PeerCa { get; init; }

    /// <summary>--auth-tokens FILE; null = no authentication.</summary>
    public string? AuthTokensFile { get; init; }

    /// <summary>Paths answered without a token when authentication is on (besides /health, always open).</summary>
    public IReadOnlyList<string> AuthOpenPaths { get; init; } = [];

    public bool UsesHttps => TlsCertificate is not null;

    /// <summary>Set only when a flag or environment variable gives it: it then overrides diststack.cluster-token.</summary>
    public string? ClusterToken { get; init; }

    /// <summary>--join: with an empty data directory, wait to be added to a running cluster instead of founding one.</summary>
    public bool Join { get; init; }

    /// <summary>This node's own Raft URL.</summary>
    public Uri RaftUrl => Cluster[NodeId - 1];

    /// <summary>Peer id (1-based) → Raft URL, this node included.</summary>
    public IReadOnlyDictionary<int, Uri> Members =>
        Cluster.Select((url, index) => (Id: index + 1, url)).ToDictionary(m => m.Id, m => m.url);
}

/// <summary>How the node writes its console log (--log-format).</summary>
public enum LogFormat
{
    /// <summary>One readable line per event.</summary>
    Text,
    /// <summary>One JSON object per line (the built-in JSON console formatter); Raft events carry their fields.</summary>
    Json,
}
