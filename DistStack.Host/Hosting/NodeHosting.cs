using Akka.Configuration;
using Akka.Hosting;
using DistStack.Actors.Hosting;
using DistStack.Host.CommandLine;
using DistStack.Actors.Observability;
using DistStack.Host.Gateway;
using DistStack.Host.Observability;
using DistStack.Host.Security;

namespace DistStack.Host.Hosting;

/// <summary>Wires one DistStack node into a WebApplication: Kestrel, logging, the ActorSystem, shutdown.</summary>
public static class NodeHosting
{
    public const string ActorSystemName = NodeConfig.ActorSystemName;

    /// <summary>Kestrel drain + hand-over + ActorSystem stop must fit well inside Docker's 10 s grace period.</summary>
    public static readonly TimeSpan ShutdownBudget = TimeSpan.FromSeconds(8);

    // Above the node's config: the host, not the CLR exit hook, decides when the ActorSystem stops. With the hook
    // on, SIGTERM would stop the ActorSystem at once, before the hand-over and before Kestrel drains its requests.
    private static readonly Config HostOverrides = ConfigurationFactory.ParseString("""
        akka.coordinated-shutdown.run-by-clr-shutdown-hook = off
        # (NodeConfig bounds the cluster-leave phases: with downing off, a dead member blocks a graceful leave.)
        akka.log-dead-letters-during-shutdown = off
        """);

    public static WebApplicationBuilder AddDistStackNode(
        this WebApplicationBuilder builder, NodeOptions options, RaftNodeSettings settings, HostSecurity? security = null)
    {
        security ??= HostSecurity.None;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions listen)
            {
                if (security.HttpsCertificate is { } certificate) listen.UseHttps(certificate);
            }
            if (options.HttpBind is null) kestrel.ListenAnyIP(options.HttpPort, Listen);
            else if (options.HttpBind == "localhost") kestrel.ListenLocalhost(options.HttpPort, Listen);
            else kestrel.Listen(System.Net.IPAddress.Parse(options.HttpBind), options.HttpPort, Listen);
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownBudget);

        builder.Logging.ClearProviders();
        if (options.LogFormat == LogFormat.Json)
            builder.Logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        else
            builder.Logging.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss.fff ";
            });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);

        // The RaftNode answers every request a tick before the request timeout; the gateway's Ask ends at the
        // timeout itself, a backstop for a node that cannot answer at all. One budget, no stacked margins.
        var gatewaySettings = new GatewaySettings(settings.RequestTimeout);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(gatewaySettings);
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddSingleton<GatewayClient>();
        builder.Services.AddSingleton<ClusterOverviewCollector>();
        builder.Services.AddHostedService<LeadershipHandOverService>();
        builder.Services.AddHostedService<ParentProcessWatch>();

        builder.Services.AddAkka(ActorSystemName, (akka, services) =>
        {
            akka.AddHocon(RaftNodeHosting.AkkaConfig(settings), HoconAddMode.Prepend);
            akka.AddHocon(HostOverrides, HoconAddMode.Prepend);
            if (!options.UserConfig.IsEmpty)
                akka.AddHocon(options.UserConfig, HoconAddMode.Prepend);
            akka.AddSetup(RaftNodeHosting.PersistenceSetup(settings));
            if (security.PeerTls is { } peerTls) akka.AddSetup(peerTls);

            akka.ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = Akka.Event.LogLevel.InfoLevel;
                loggers.ClearLoggers();
                loggers.AddLogger<AkkaLogBridge>();
            });

            akka.WithActors((system, registry) =>
            {
                // Subscribed before RaftNode starts, so a refusal during its recovery is never missed.
                system.ActorOf(RefusalWatch.Props(services.GetRequiredService<IHostApplicationLifetime>()), "refusal-watch");
                RaftEventLog.Attach(NodeObservations.For(system), services.GetRequiredService<ILoggerFactory>());
                var raftNode = RaftNodeHosting.Start(system, settings);
                registry.Register<HttpGateway>(system.ActorOf(HttpGateway.Props(raftNode, gatewaySettings), "http-gateway"));
            });
        });
        return builder;
    }
}
