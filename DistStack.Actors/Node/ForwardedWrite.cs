using Akka.Actor;
using DistStack.Actors.Shell;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Node;

/// <summary>
/// A follower's write on its way to the leader: carries out what <see cref="ForwardedCopies"/> decides (sends its
/// copies, runs its re-send and deadline timers, answers the client once). RaftNode starts one per forwarded write
/// and tells it every leader it learns of (<see cref="SendCopy"/>). Leaders answer this actor, never the client,
/// so the answers of the copies meet here.
/// </summary>
internal sealed class ForwardedWrite : ReceiveActor, IWithTimers
{
    private const string DeadlineTimer = "deadline";
    private const string ResendTimer = "resend";

    private readonly ForwardedCommand _forwarded;
    private readonly IActorRef _client;
    private readonly TimeSpan _within;
    private readonly TimeSpan _resendEvery;
    private readonly ForwardedCopies _copies = new();
    private ICanTell? _leader;

    public ForwardedWrite(StackCommand command, int originNodeId, IActorRef client, TimeSpan within, TimeSpan resendEvery)
    {
        _forwarded = new ForwardedCommand(command, originNodeId);
        _client = client;
        _within = within;
        _resendEvery = resendEvery;
        Receive<SendCopy>(copy =>
        {
            if (!_copies.OnLeader(copy.LeaderId)) return;
            _leader = copy.Leader;
            // The next re-send comes a whole interval after this copy, not on the old leader's schedule. Started
            // before the copy leaves, so whoever sees the copy knows the re-send is already scheduled.
            Timers.StartPeriodicTimer(ResendTimer, ResendDue.Instance, _resendEvery);
            copy.Leader.Tell(_forwarded, Self);
        });
        Receive<ResendDue>(_ =>
        {
            if (_copies.OnResendDue()) _leader!.Tell(_forwarded, Self);
        });
        Receive<NodeReply>(reply => Answer(_copies.OnAnswer(reply)));
        Receive<DeadlinePassed>(_ => Answer(_copies.OnDeadline()));
    }

    // The re-send timer starts with the first copy (SendCopy): before it there is no leader to send to.
    protected override void PreStart() => Timers.StartSingleTimer(DeadlineTimer, DeadlinePassed.Instance, _within);

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(StackCommand command, int originNodeId, IActorRef client, TimeSpan within, TimeSpan resendEvery) =>
        Akka.Actor.Props.Create(() => new ForwardedWrite(command, originNodeId, client, within, resendEvery));

    private void Answer(NodeReply? reply)
    {
        if (reply is null) return;
        _client.Tell(reply);
        Context.Stop(Self);
    }

    protected override void PostStop()
    {
        // RaftNode stopping (a failed write, a restart): the client still gets its one answer.
        if (_copies.OnStopped() is { } reply) _client.Tell(reply);
        base.PostStop();
    }

    /// <summary>RaftNode → this: <paramref name="LeaderId"/> leads now; send it a copy unless it already has one.</summary>
    public sealed record SendCopy(int LeaderId, ICanTell Leader);

    private sealed record DeadlinePassed
    {
        public static readonly DeadlinePassed Instance = new();
    }

    private sealed record ResendDue
    {
        public static readonly ResendDue Instance = new();
    }
}
