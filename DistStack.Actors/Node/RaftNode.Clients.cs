using Akka.Actor;
using Akka.Event;
using DistStack.Actors.Raft;
using DistStack.Actors.Shell;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Node;

// Clients: every decision about a client request (propose, forward, wait for a leader, read, hand over, answer,
// expire) is made by Shell/ClientRequests, which has no actor, task or clock; this file only carries its effects
// out: answers to the asker, forwarded writes in batches (RaftNode.ForwardedWrites.cs; as ForwardedWrite children
// toward a leader of an older build), reads to the StackRegistry.
public sealed partial class RaftNode : IClientEffects<IActorRef>
{
    /// <summary>Null until the core runs (recovery done); requests meanwhile are answered NotStarted.</summary>
    private ClientRequests<IActorRef>? _clients;

    /// <summary>Writes this follower forwarded and whose client has no answer yet (children; see ForwardedWrite).</summary>
    private readonly HashSet<IActorRef> _forwardedWrites = [];

    private bool IsLeader => _clients?.IsLeader ?? false;

    private ClientRequests<IActorRef> StartClientRequests(RaftCore core) => new(
        core,
        new ClientRequestLimits(
            _settings.NodeId,
            AnswerWithinTicks: Math.Max(1, TicksFor(_settings.RequestTimeout) - 1),
            NoLeaderWaitTicks: TicksFor(_settings.NoLeaderWait),
            HandOverTicks: TicksFor(_settings.HandOverTimeout),
            MaxInFlight: _settings.MaxInFlightProposals),
        this,
        firstReadId: Random.Shared.NextInt64(1L << 62),
        wallClockMs: () => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    private void OnCommand(StackCommand command, IActorRef replyTo, bool forwarded)
    {
        if (_clients is null) replyTo.Tell(NotRunning());
        else if (Removed() is { } removed) replyTo.Tell(removed);
        else _clients.Command(command, replyTo, forwarded, _clients.AnswerByTick());
    }

    private void OnQuery(StackQuery query, IActorRef replyTo)
    {
        if (_clients is null) replyTo.Tell(NotRunning());
        else if (Removed() is { } removed) replyTo.Tell(removed);
        else _clients.Query(query, replyTo, _clients.AnswerByTick());
    }

    /// <summary>
    /// A node whose latest configuration removed it says so at once: once the removal is committed no leader
    /// replicates to it or takes what it forwards (it is no peer any more), so waiting would only end in a 504.
    /// </summary>
    private NotStarted? Removed()
    {
        var configuration = Core.Configuration;
        if (configuration.IsMember(_settings.NodeId) || configuration.Voters.IsEmpty) return null;
        return new NotStarted($"node {_settings.NodeId} was removed from the cluster (its status says membership \"removed\"); " +
                              $"send requests to a member: voters [{string.Join(",", configuration.Voters)}]");
    }

    private void OnHandOver(IActorRef replyTo)
    {
        if (_clients is null) replyTo.Tell(new LeadershipHandedOver(false, null));
        else _clients.HandOver(replyTo);
    }

    /// <summary>Committed entries go to the registry with the clients that proposed exactly them.</summary>
    private void HandOverCommitted(IReadOnlyList<LogEntry> entries) =>
        _registry.Tell(new ApplyCommitted(entries, _clients!.TakeWaiters(entries)));

    private void FailAllWaiters(string reason) => _clients?.FailAll(reason);

    private TimeSpan TimeFor(long ticks) => TimeSpan.FromMilliseconds(TicksToMilliseconds(Math.Max(1, ticks)));

    void IClientEffects<IActorRef>.Answer(IActorRef client, NodeReply reply) => client.Tell(reply);

    void IClientEffects<IActorRef>.HandedOver(IActorRef client, LeadershipHandedOver result) => client.Tell(result);

    bool IClientEffects<IActorRef>.Forward(StackCommand command, IActorRef client, int leaderId, long ticksLeft)
    {
        if (!_peers.TryGetValue(leaderId, out var peer)) return false;
        if (TakesForwardedBatches(leaderId))
        {
            ForwardInBatch(command, client, leaderId, ticksLeft);
            return true;
        }
        var write = Context.ActorOf(ForwardedWrite.Props(command, _settings.NodeId, client, TimeFor(ticksLeft),
            resendEvery: TimeFor(_settings.ElectionTicks)));
        Context.Watch(write);
        _forwardedWrites.Add(write);
        write.Tell(new ForwardedWrite.SendCopy(leaderId, peer));
        return true;
    }

    void IClientEffects<IActorRef>.NewLeaderForForwardedWrites(int leaderId)
    {
        NewLeaderForBatchedWrites(leaderId);
        if (_forwardedWrites.Count == 0) return;
        ICanTell? target = leaderId == _settings.NodeId ? Self : _peers.GetValueOrDefault(leaderId);
        if (target is null) return;
        foreach (var write in _forwardedWrites) write.Tell(new ForwardedWrite.SendCopy(leaderId, target));
    }

    void IClientEffects<IActorRef>.ServeRead(long readIndex, StackQuery query, IActorRef client, long ticksLeft) =>
        _registry.Tell(new ServeRead(readIndex, query, client, TimeFor(ticksLeft)));

    void IClientEffects<IActorRef>.ReadyMayFollow() => ScheduleFlush();

    // Via the mailbox: the core is between GetReady and Advance when a Ready's SoftState arrives.
    void IClientEffects<IActorRef>.DispatchWaitingSoon() => Self.Tell(LeaderKnown.Instance);

    void IClientEffects<IActorRef>.Log(string line) => _log.Info(line);
}
