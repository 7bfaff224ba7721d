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
    Config UserConfig)
{
    /// <summary>Set only when a flag or environment variable gives it: it then overrides diststack.cluster-token.</summary>
    public string? ClusterToken { get; init; }

    /// <summary>This node's own Raft URL.</summary>
    public Uri RaftUrl => Cluster[NodeId - 1];

    /// <summary>Peer id (1-based) → Raft URL, this node included.</summary>
    public IReadOnlyDictionary<int, Uri> Members =>
        Cluster.Select((url, index) => (Id: index + 1, url)).ToDictionary(m => m.Id, m => m.url);
}
