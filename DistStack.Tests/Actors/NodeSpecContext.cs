using System.Net;
using System.Net.Sockets;
using Akka.Actor.Setup;
using Akka.Configuration;
using DistStack.Actors.Hosting;
using DistStack.Actors.Persistence;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// A temporary data directory with real SQLite files (or, given a persistence section, a real PostgreSQL database),
/// node settings pointing at it, and the ActorSystem setup a node runs with (local provider: these specs talk to
/// RaftNode directly, peers are probes or absent).
/// </summary>
public sealed class NodeSpecContext : IDisposable
{
    private NodeSpecContext(RaftNodeSettings settings, ActorSystemSetup setup, NodePersistenceSetup persistence)
    {
        Settings = settings;
        Setup = setup;
        Persistence = persistence;
    }

    public RaftNodeSettings Settings { get; }
    public ActorSystemSetup Setup { get; }
    public NodePersistenceSetup Persistence { get; }
    public string DataDirectory => Settings.DataDirectory;

    public static readonly Config LocalOnly = ConfigurationFactory.ParseString("""
        akka.actor.provider = local
        akka.loglevel = INFO
        akka.test.timefactor = 1
        """);

    /// <param name="members">Size of the configured cluster; this node is node 1.</param>
    /// <param name="persistence">A diststack.persistence section (HOCON) replacing the SQLite default.</param>
    public static NodeSpecContext Create(int members = 1, Func<RaftNodeSettings, RaftNodeSettings>? tweak = null,
        Config? overrides = null, IReadOnlyList<LinqToDB.Interceptors.IInterceptor>? journalInterceptors = null,
        string? persistence = null)
    {
        var settings = NewSettings(TempDirectory(), members, persistence: persistence);
        if (tweak is not null) settings = tweak(settings);
        var (setup, persistenceSetup) = NodeConfig.Bootstrap(
            settings, null, (overrides ?? Config.Empty).WithFallback(LocalOnly), journalInterceptors);
        return new NodeSpecContext(settings, setup, persistenceSetup);
    }

    public static RaftNodeSettings NewSettings(string dataDir, int members, int nodeId = 1, IReadOnlyList<int>? ports = null,
        string? persistence = null)
    {
        var config = ConfigurationFactory.ParseString((persistence ?? "") + "\n" + $$"""
            diststack {
              node-id = {{nodeId}}
              cluster = [{{string.Join(", ", Enumerable.Range(0, members).Select(i => $"\"127.0.0.1:{(ports is null ? 40000 + i : ports[i])}\""))}}]
              data-dir = "{{dataDir.Replace("\\", "/")}}"
            }
            """);
        return RaftNodeSettings.FromConfig(config);
    }

    public static string TempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "diststack-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose()
    {
        try { Directory.Delete(DataDirectory, recursive: true); }
        catch (IOException) { } // SQLite may still hold a pooled handle for a moment; temp dir anyway
        catch (UnauthorizedAccessException) { }
    }
}
