using Akka.Actor;
using Akka.Hosting;
using DistStack.Actors.Node;
using DistStack.Host.Observability;

namespace DistStack.Host.Gateway;

/// <summary>What HTTP handlers hold: typed Asks of the <see cref="HttpGateway"/> actor.</summary>
public sealed class GatewayClient(IRequiredActor<HttpGateway> gateway, GatewaySettings settings, GatewayMetrics metrics)
{
    // RaftNode answers every request before the request timeout; an Ask that reaches it means the node could not
    // answer at all (its actor gone, the system stopping): the request may have started, so "unknown".

    public async Task<NodeReply> RunAsync(RunCommand command, CancellationToken cancellationToken)
    {
        var started = metrics.Start();
        var reply = await AskAsync<NodeReply>(command, cancellationToken, () => new OutcomeUnknown("the gateway did not answer in time"));
        metrics.WriteAnswered(started, reply);
        return reply;
    }

    public async Task<NodeReply> RunAsync(RunQuery query, CancellationToken cancellationToken)
    {
        var started = metrics.Start();
        var reply = await AskAsync<NodeReply>(query, cancellationToken, () => new OutcomeUnknown("the gateway did not answer in time"));
        metrics.ReadAnswered(started, reply);
        return reply;
    }

    /// <summary>A membership change; RaftNode answers within its request timeout, so an Ask timeout is "unknown".</summary>
    public async Task<MembershipReply> ChangeMembershipAsync(ChangeMembership change, CancellationToken cancellationToken) =>
        await AskAsync<MembershipReply>(change, cancellationToken,
            () => new MembershipReply.OutcomeUnknown("the node did not answer in time; the change may or may not take effect"));

    /// <summary>The members as the local node knows them; null if it does not answer.</summary>
    public async Task<MembershipView?> MembershipAsync(CancellationToken cancellationToken) =>
        await AskAsync<MembershipView?>(GetMembership.Instance, cancellationToken, () => null);

    public async Task<StatusReply> StatusAsync(CancellationToken cancellationToken) =>
        await AskAsync<StatusReply>(RequestStatus.Instance, cancellationToken,
            () => new StatusReply.Unavailable("the gateway did not answer in time"));

    public async Task<LeadershipHandedOver> BeginShutdownAsync(TimeSpan handOverTimeout, CancellationToken cancellationToken)
    {
        var actor = await gateway.GetAsync(cancellationToken);
        return await actor.Ask<LeadershipHandedOver>(new BeginShutdown(handOverTimeout), handOverTimeout, cancellationToken);
    }

    private async Task<T> AskAsync<T>(object message, CancellationToken cancellationToken, Func<T> onTimeout)
    {
        var actor = await gateway.GetAsync(cancellationToken);
        try
        {
            return await actor.Ask<T>(message, settings.RequestTimeout, cancellationToken);
        }
        catch (AskTimeoutException)
        {
            return onTimeout();
        }
    }
}
