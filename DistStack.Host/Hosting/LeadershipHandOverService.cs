using DistStack.Actors.Hosting;
using DistStack.Host.CommandLine;
using DistStack.Host.Gateway;

namespace DistStack.Host.Hosting;

/// <summary>
/// On SIGTERM, before Kestrel and the ActorSystem stop: refuse new requests (503) and ask the RaftNode to hand
/// leadership over (bounded), so the cluster does not sit through an election timeout. Never changes the voters.
/// </summary>
public sealed class LeadershipHandOverService(
    GatewayClient gateway, NodeOptions options, RaftNodeSettings settings, ILogger<LeadershipHandOverService> log) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        log.LogInformation("Stopping node {NodeId}: handing leadership over if leader (at most {Timeout} s)",
            options.NodeId, settings.HandOverTimeout.TotalSeconds);
        var started = TimeProvider.System.GetTimestamp();
        try
        {
            // The RaftNode bounds the hand-over itself (answering on the tick at its deadline); half a second more here
            // lets that answer arrive before this Ask gives up.
            var result = await gateway.BeginShutdownAsync(settings.HandOverTimeout + TimeSpan.FromMilliseconds(500), cancellationToken);
            var elapsed = TimeProvider.System.GetElapsedTime(started).TotalMilliseconds;
            if (!result.WasLeader)
                log.LogInformation("Node {NodeId} was not the leader; nothing to hand over", options.NodeId);
            else if (options.Cluster.Count == 1)
                log.LogInformation("Node {NodeId} is the only member; nobody to hand leadership to", options.NodeId);
            else if (result.NewLeaderId is { } newLeader)
                log.LogInformation("Leadership handed over to node {NewLeader} in {Elapsed:0} ms", newLeader, elapsed);
            else
                log.LogWarning("Was leader, but no successor took over within {Elapsed:0} ms; the others will elect one", elapsed);
        }
        catch (Exception e)
        {
            log.LogWarning("Leadership hand-over did not complete ({Error}); stopping anyway, the others will elect a leader",
                e.GetType().Name + ": " + e.Message);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
