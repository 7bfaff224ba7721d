using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using DistStack.Host.CommandLine;

namespace DistStack.Host.Hosting;

/// <summary>One line of configuration at startup, one with the listen addresses once Kestrel is up.</summary>
public static class StartupLog
{
    public static WebApplication LogStartupAndShutdown(this WebApplication app, NodeOptions options, DistStack.Actors.Hosting.RaftNodeSettings settings)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DistStack.Host");
        log.LogInformation(
            "DistStack node {NodeId} of {Count}: Raft endpoint {Raft}, HTTP port {Port} (all interfaces), data dir {DataDir}, request timeout {Timeout} s, cluster {Cluster}, malloc arenas {Arenas}",
            options.NodeId, options.Cluster.Count, $"{options.RaftUrl.Host}:{options.RaftUrl.Port}", options.HttpPort,
            Path.GetFullPath(options.DataDir), settings.RequestTimeout.TotalSeconds, string.Join(",", options.Cluster),
            NativeHeapLimits.ArenaSetting);

        var lifetime = app.Lifetime;
        lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            log.LogInformation("Node {NodeId} serving HTTP on {Addresses} (pid {Pid})", options.NodeId, string.Join(", ", addresses), Environment.ProcessId);
        });
        lifetime.ApplicationStopping.Register(() => log.LogInformation("Node {NodeId} stopping", options.NodeId));
        lifetime.ApplicationStopped.Register(() => log.LogInformation("Node {NodeId} stopped", options.NodeId));
        return app;
    }
}
