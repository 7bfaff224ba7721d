using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using DistStack.Actors.Hosting;
using DistStack.Actors.Persistence;
using DistStack.Host.CommandLine;

namespace DistStack.Host.Hosting;

/// <summary>Where the host meets DistStack.Actors: the node's settings, its Akka config and its RaftNode actor.</summary>
public static class RaftNodeHosting
{
    /// <summary>
    /// The RaftNode's settings: our options written over the user's --config file (which may tune any diststack.*
    /// setting, e.g. diststack.raft.election-ticks) over DistStack.Actors' defaults, then reconciled with the data
    /// directory (created on first start). The timeouts are written only when a flag or variable gave them, so a
    /// file's diststack.clients.request-timeout is what the node uses otherwise. Throws
    /// <see cref="NodeSettingsException"/> with a message for the user.
    /// </summary>
    public static RaftNodeSettings LoadSettings(NodeOptions options)
    {
        var fromOptions = ConfigurationFactory.ParseString($$"""
            diststack {
              node-id = {{options.NodeId}}
              cluster = [{{string.Join(", ", options.Cluster.Select(u => Quote($"{u.Host}:{u.Port}")))}}]
              data-dir = {{Quote(Path.GetFullPath(options.DataDir))}}
              {{(options.RequestTimeout is { } request ? $"clients.request-timeout = {Milliseconds(request)}" : "")}}
              {{(options.HandOverTimeout is { } handOver ? $"clients.hand-over-timeout = {Milliseconds(handOver)}" : "")}}
              {{(options.PeerCertificate is { } peerCert ? $"peer-tls.certificate = {Quote(Path.GetFullPath(peerCert))}" : "")}}
              {{(options.PeerKey is { } peerKey ? $"peer-tls.key = {Quote(Path.GetFullPath(peerKey))}" : "")}}
              {{(options.PeerCa is { } peerCa ? $"peer-tls.ca = {Quote(Path.GetFullPath(peerCa))}" : "")}}
              {{(options.ClusterToken is { } token ? $"cluster-token = {Quote(token)}" : "")}}
              {{(options.Join ? "join = on" : "")}}
            }
            """);
        var config = options.UserConfig.IsEmpty ? fromOptions : fromOptions.WithFallback(options.UserConfig);
        try
        {
            return RaftNodeSettings.Load(config);
        }
        catch (DataDirectoryMismatchException e)
        {
            throw new NodeSettingsException($"the data directory {Path.GetFullPath(options.DataDir)} belongs to another node or cluster: {e.Message}", e);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or ConfigurationException or IOException or UnauthorizedAccessException)
        {
            throw new NodeSettingsException(e.Message, e);
        }
    }

    /// <summary>The node's complete Akka config (remoting, cluster, persistence, serializers) from DistStack.Actors.</summary>
    public static Config AkkaConfig(RaftNodeSettings settings) => NodeConfig.Build(settings);

    /// <summary>What the SQL journal and snapshot store need besides HOCON (their connection setup).</summary>
    public static Akka.Actor.Setup.Setup PersistenceSetup(RaftNodeSettings settings) =>
        PersistencePlugins.Setup(settings).DataOptionsSetup;

    /// <summary>Starts the supervised RaftNode at /user/raft-node, the path its peers address.</summary>
    public static IActorRef Start(ActorSystem system, RaftNodeSettings settings) => DistStackNode.Start(system, settings);

    private static string Milliseconds(TimeSpan t) => ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

/// <summary>The node cannot start with these settings; the message says why.</summary>
public sealed class NodeSettingsException(string message, Exception inner) : Exception(message, inner);
