using System.Diagnostics;
using Akka.Actor;
using DistStack.Actors.Hosting;
using DistStack.Actors.Observability;
using DistStack.Host.Http;

namespace DistStack.Host.Observability;

/// <summary>
/// Builds GET /cluster/overview: asks every member's overview responder (this node's locally, the others over
/// Akka.Remote, all at once) and waits at most <see cref="PeerTimeout"/> for each. A member that does not answer
/// in time is reported as such, never waited for: the overview must come back promptly exactly when members are
/// dead or this node is cut off.
/// </summary>
public sealed class ClusterOverviewCollector(IServiceProvider services, RaftNodeSettings settings)
{
    /// <summary>Short: a healthy peer answers within milliseconds, and the dashboard polls twice a second.</summary>
    public static readonly TimeSpan PeerTimeout = TimeSpan.FromMilliseconds(600);

    public async Task<ClusterOverviewDocument> CollectAsync(CancellationToken cancellationToken)
    {
        var system = services.GetRequiredService<ActorSystem>();
        var protocol = ((ExtendedActorSystem)system).Provider.DefaultAddress.Protocol;
        var asks = settings.Members.Select(member =>
        {
            var path = member.NodeId == settings.NodeId
                ? $"/user/{NodeOverviewResponder.ActorName}"
                : $"{new Address(protocol, system.Name, member.Host, member.Port)}/user/{NodeOverviewResponder.ActorName}";
            return AskAsync(system.ActorSelection(path), member, cancellationToken);
        }).ToList();
        var members = await Task.WhenAll(asks);
        return ClusterOverviewDocument.From(settings.NodeId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), members);
    }

    private static async Task<ClusterOverviewDocument.MemberAnswer> AskAsync(ActorSelection responder, PeerEndpoint member,
        CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var overview = await responder.Ask<NodeOverview>(GetNodeOverview.Instance, PeerTimeout, cancellationToken);
            return new ClusterOverviewDocument.MemberAnswer(member, overview, null, clock.ElapsedMilliseconds);
        }
        catch (Exception e) when (e is AskTimeoutException or TimeoutException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new ClusterOverviewDocument.MemberAnswer(member, null, $"no answer within {PeerTimeout.TotalMilliseconds:0} ms", clock.ElapsedMilliseconds);
        }
    }
}
