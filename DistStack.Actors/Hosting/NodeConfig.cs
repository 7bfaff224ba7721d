using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using DistStack.Actors.Persistence;

namespace DistStack.Actors.Hosting;

/// <summary>
/// Builds a node's complete Akka configuration from its <see cref="RaftNodeSettings"/>: remoting, cluster (for
/// discovery and display only), persistence plugins under the data directory, DistStack's serializer and logging.
/// The Host and the in-process tests both start nodes through here, so they run the same configuration.
/// </summary>
public static class NodeConfig
{
    /// <summary>Every node's ActorSystem has this name: peers address each other as akka.tcp://diststack@host:port.</summary>
    public const string ActorSystemName = "diststack";

    /// <summary>
    /// The node's config. <paramref name="transportAdapters"/> (e.g. ["trttl", "gremlin"] for fault injection
    /// in tests) change the address scheme, so the seed nodes are built with the same list.
    /// </summary>
    public static Config Build(RaftNodeSettings settings, IReadOnlyList<string>? transportAdapters = null)
    {
        settings.Validate();
        var adapters = transportAdapters ?? [];
        var protocol = ProtocolFor(adapters, tls: settings.PeerTls is not null);
        var self = settings.Self;
        var seeds = string.Join(", ", settings.Members.Select(m => Quote($"{protocol}://{ActorSystemName}@{m.Host}:{m.Port}")));
        var frame = settings.MaxFrameSize;

        var node = ConfigurationFactory.ParseString($$"""
            akka {
              loglevel = {{Quote(settings.LogLevel)}}
              stdout-loglevel = {{Quote(settings.LogLevel)}}
              actor.provider = cluster
              # Akka's scheduler wakes every tick-duration (10 ms by default) whether or not anything is due, and each
              # wake-up hands work to a thread-pool worker that then spins before it sleeps: at rest that was most of a
              # node's CPU (five idle nodes: 640 ms of CPU per second, 400 with 50 ms ticks; docs/profiling.md). Nothing
              # here needs a finer timer than a Raft tick, which is 50 ms by default, so the scheduler ticks with it.
              scheduler.tick-duration = {{SchedulerTickMs(settings)}}ms
              remote {
                # Raft's timeouts, not the transport's, decide who is alive: a peer that failed to connect (not up
                # yet, restarting) must be tried again within about an election timeout, not after 5 s (default).
                # The connect timeout stays at its 15 s default: with dot-netty it is also the HANDSHAKE timeout, and
                # at 2 s a handshake slowed by start-up JIT on a loaded machine timed out on one side only, which then
                # dropped everything arriving on that connection while the other side kept sending: a one-way black
                # hole that never healed. A dead peer on loopback refuses at once, so failover loses nothing.
                retry-gate-closed-for = 1s
                # A connection whose far end stopped reading and answering (its protocol actor gone, a peer reset by
                # the leader's silent-follower watch, a half-open socket after a partition) is dropped after ~11 s
                # instead of Akka's 124 s, so the next message opens a fresh one. Any inbound message counts as a
                # heartbeat, and 10 s covers SIGSTOP/GC pauses; a false alarm only costs a 1 s gate and a reconnect.
                transport-failure-detector {
                  heartbeat-interval = 1s
                  acceptable-heartbeat-pause = 10s
                }
                dot-netty.tcp {
                  hostname = {{Quote(settings.BindHostname ?? self.Host)}}
                  public-hostname = {{Quote(self.Host)}}
                  port = {{self.Port}}
                  applied-adapters = [{{string.Join(", ", adapters.Select(Quote))}}]
                  # Appends and snapshot chunks are bounded below this (diststack.max-frame-size); Akka.Remote drops
                  # larger frames with only a log line.
                  maximum-frame-size = {{frame}}b
                  send-buffer-size = {{Math.Max(frame * 2, 256 * 1024)}}b
                  receive-buffer-size = {{Math.Max(frame * 2, 256 * 1024)}}b
                  # With diststack.peer-tls the certificate and the cluster-CA check come in through DotNettySslSetup.
                  enable-ssl = {{(settings.PeerTls is null ? "off" : "on")}}
                }
              }
              cluster {
                # Akka.Cluster only discovers members and shows reachability. Raft alone decides who leads; nothing
                # may down or stop a node: no split-brain resolver, no auto-down, no shutdown when downed.
                seed-nodes = [{{seeds}}]
                downing-provider-class = ""
                run-coordinated-shutdown-when-down = off
                auto-down-unreachable-after = off
              }
              coordinated-shutdown {
                exit-clr = off
                # A graceful leave cannot complete while a dead member blocks convergence (downing is off):
                # never let it hold a shutdown for long.
                phases {
                  cluster-leave.timeout = 2s
                  cluster-exiting.timeout = 2s
                  cluster-exiting-done.timeout = 2s
                  cluster-shutdown.timeout = 2s
                }
              }
            }
            """);

        return node
            .WithFallback(PersistencePlugins.Hocon(settings))
            .WithFallback(SerializationHocon())
            .WithFallback(Security.PeerGuardConfig.Config)
            .WithFallback(ConfigurationFactory.ParseString(
                "diststack.node-id = " + settings.NodeId))
            .WithFallback(DistStackDefaults.Config);
    }

    /// <summary>
    /// Config plus the persistence setup (the pragma interceptor reaches the SQL plugins only through it).
    /// Akka.Hosting: add <see cref="NodePersistenceSetup.DataOptionsSetup"/> with AddSetup.
    /// </summary>
    public static (ActorSystemSetup Setup, NodePersistenceSetup Persistence) Bootstrap(
        RaftNodeSettings settings, IReadOnlyList<string>? transportAdapters = null, Config? overrides = null,
        IReadOnlyList<LinqToDB.Interceptors.IInterceptor>? journalInterceptors = null)
    {
        var config = Build(settings, transportAdapters);
        if (overrides is not null) config = overrides.WithFallback(config);
        var persistence = PersistencePlugins.Setup(settings, journalInterceptors);
        var setup = BootstrapSetup.Create().WithConfig(config).And(persistence.DataOptionsSetup);
        if (settings.PeerTls is { } tls) setup = setup.And(tls.CreateSetup());
        return (setup, persistence);
    }

    /// <summary>The scheduler's resolution: a Raft tick, within 10-50 ms (below 10 ms is Akka's default anyway).</summary>
    private static int SchedulerTickMs(RaftNodeSettings settings) =>
        (int)Math.Clamp(Math.Floor(settings.TickInterval.TotalMilliseconds), 10, 50);

    /// <summary>The address scheme: DotNetty's is "ssl.tcp" over TLS, "tcp" otherwise, after any adapters.</summary>
    public static string ProtocolFor(IReadOnlyList<string> transportAdapters, bool tls = false) =>
        string.Join(".", ["akka", .. transportAdapters, .. (tls ? new[] { "ssl" } : []), "tcp"]);

    /// <summary>Binds every wire message and journal event to DistStack's serializer.</summary>
    private static Config SerializationHocon() => Serialization.SerializationConfig.Config;

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
