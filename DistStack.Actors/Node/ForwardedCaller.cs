using Akka.Actor;

namespace DistStack.Actors.Node;

/// <summary>
/// On the leader, the client of one write a follower forwarded in a <see cref="ForwardedCommands"/>: whatever answers it
/// (the registry once the write applied, the client requests when it cannot start, a refusal) answers the follower's
/// RaftNode under the follower's id for the write. Never leaves this process: the follower learns of it only through
/// <see cref="ForwardedAnswers"/>. The registry groups the answers of one applied batch per follower
/// (<see cref="ForwardedAnswerBatch"/>); any other answer goes on its own.
/// </summary>
internal sealed class ForwardedCaller(IActorRef follower, long writeId, ulong clusterId, int leaderId, IActorRef leader, IActorRefProvider provider)
    : MinimalActorRef
{
    private ActorPath? _path;

    public IActorRef Follower { get; } = follower;

    public long WriteId { get; } = writeId;

    public ulong ClusterId { get; } = clusterId;

    public int LeaderId { get; } = leaderId;

    /// <summary>The leader's RaftNode: the sender of the answers, so the follower can check they come from its peer.</summary>
    public IActorRef Leader { get; } = leader;

    // Only for equality and logs: built when first asked for (nothing on the answer path asks).
    public override ActorPath Path => _path ??= Follower.Path / $"forwarded-{WriteId}";

    public override IActorRefProvider Provider { get; } = provider;

    protected override void TellInternal(object message, IActorRef sender)
    {
        if (message is NodeReply reply)
            Follower.Tell(new ForwardedAnswers(ClusterId, LeaderId, [new ForwardedAnswer(WriteId, reply)]), Leader);
    }
}

/// <summary>
/// The answers of one applied batch, grouped per follower: one <see cref="ForwardedAnswers"/> per follower instead of
/// one message per forwarded write. Other clients are told at once.
/// </summary>
internal sealed class ForwardedAnswerBatch
{
    private readonly Dictionary<IActorRef, (ForwardedCaller First, List<ForwardedAnswer> Answers)> _byFollower = [];

    public void Answer(IActorRef client, NodeReply reply)
    {
        if (client is not ForwardedCaller caller)
        {
            client.Tell(reply);
            return;
        }
        if (!_byFollower.TryGetValue(caller.Follower, out var group))
            _byFollower[caller.Follower] = group = (caller, []);
        group.Answers.Add(new ForwardedAnswer(caller.WriteId, reply));
    }

    public void Send()
    {
        foreach (var (follower, (first, answers)) in _byFollower)
            follower.Tell(new ForwardedAnswers(first.ClusterId, first.LeaderId, answers), first.Leader);
        _byFollower.Clear();
    }
}
