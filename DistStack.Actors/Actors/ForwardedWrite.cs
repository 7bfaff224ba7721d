using Akka.Actor;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Actors;

/// <summary>
/// A follower's write on its way to the leader, from the moment it is forwarded until the client has its one
/// answer. RaftNode starts one per forwarded write and tells it every leader it learns of (<see cref="SendCopy"/>):
/// the first copy goes to the leader of the moment; if that leader dies or is deposed, a copy goes to the next one
/// at once, with the same request key (the state machine applies a key at most once, and a retried key answers
/// with the first application's result), so a write sent through a follower right after a leader dies completes
/// in about an election, not after the whole request timeout. A copy can also be lost on the way (a connection
/// Akka.Remote left dead after the leader's process restarted, a dropped frame): while no answer comes, another copy
/// goes to the leader of the moment every <c>resendEvery</c> (an election timeout, 500 ms; a duplicate is
/// only a log entry the state machine answers from its request-key table), the same command with the
/// same key, so a lost copy costs a re-send interval instead of the whole request timeout. Leaders answer this
/// actor, never the client:
///  - Completed from any copy is the answer, except "request keys full", which means that copy was not applied;
///  - NotStarted or OutcomeUnknown from a copy only counts: once every copy sent has answered, the client hears
///    NotStarted if none of them can ever apply, OutcomeUnknown otherwise;
///  - at the deadline (the request timeout), OutcomeUnknown: a copy may still apply.
/// Each copy is answered at most once by the node it reached, so counting answers is enough.
/// </summary>
internal sealed class ForwardedWrite : ReceiveActor, IWithTimers
{
    private const string DeadlineTimer = "deadline";
    private const string ResendTimer = "resend";

    private readonly ForwardedCommand _forwarded;
    private readonly IActorRef _client;
    private readonly TimeSpan _within;
    private readonly TimeSpan _resendEvery;
    private readonly HashSet<int> _sentTo = [];
    private (int Id, ICanTell Ref)? _leader;
    private int _copies;
    private int _notStarted;
    private int _unknown;
    private bool _answered;

    public ForwardedWrite(StackCommand command, int originNodeId, IActorRef client, TimeSpan within, TimeSpan resendEvery)
    {
        _forwarded = new ForwardedCommand(command, originNodeId);
        _client = client;
        _resendEvery = resendEvery;
        Receive<SendCopy>(OnSendCopy);
        // A copy refused because the client keys are full was not recorded, so another copy may still apply.
        Receive<Completed>(completed => completed.Result.Outcome == StackOutcome.RequestKeysFull, refused =>
            CountNotStarted(refused));
        Receive<Completed>(completed => Answer(completed));
        Receive<NotStarted>(CountNotStarted);
        Receive<OutcomeUnknown>(unknown =>
        {
            _unknown++;
            if (AllCopiesAnswered) Answer(_copies == 1 ? unknown : new OutcomeUnknown(UnknownReason));
        });
        Receive<ResendDue>(_ =>
        {
            if (_answered || _leader is not { } leader) return;
            SendTo(leader.Ref);
        });
        Receive<DeadlinePassed>(_ => Answer(new OutcomeUnknown(
            $"forwarded to the leader ({_copies} {(_copies == 1 ? "copy" : "copies")} to {_sentTo.Count} {(_sentTo.Count == 1 ? "leader" : "leaders in turn")}); no answer in time, it may still be applied")));
        _within = within;
    }

    protected override void PreStart()
    {
        Timers.StartSingleTimer(DeadlineTimer, DeadlinePassed.Instance, _within);
        Timers.StartPeriodicTimer(ResendTimer, ResendDue.Instance, _resendEvery);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(StackCommand command, int originNodeId, IActorRef client, TimeSpan within, TimeSpan resendEvery) =>
        Akka.Actor.Props.Create(() => new ForwardedWrite(command, originNodeId, client, within, resendEvery));

    private const string UnknownReason = "forwarded more than once (to a new leader, or again when no answer came); a copy may still be applied";

    private void CountNotStarted(NodeReply notStarted)
    {
        _notStarted++;
        if (AllCopiesAnswered) Answer(_unknown == 0 ? notStarted : new OutcomeUnknown(UnknownReason));
    }

    private bool AllCopiesAnswered => _notStarted + _unknown >= _copies;

    private void OnSendCopy(SendCopy copy)
    {
        if (_answered || !_sentTo.Add(copy.LeaderId)) return;
        _leader = (copy.LeaderId, copy.Leader);
        SendTo(copy.Leader);
        // The next re-send comes a whole interval after this copy, not on the old leader's schedule.
        Timers.StartPeriodicTimer(ResendTimer, ResendDue.Instance, _resendEvery);
    }

    private void SendTo(ICanTell leader)
    {
        _copies++;
        leader.Tell(_forwarded, Self);
    }

    private void Answer(NodeReply reply)
    {
        if (_answered) return;
        _answered = true;
        _client.Tell(reply);
        Context.Stop(Self);
    }

    protected override void PostStop()
    {
        // RaftNode stopping (a failed write, a restart): the client still gets its one answer.
        if (!_answered) _client.Tell(new OutcomeUnknown("this node stopped while its forwarded write was in flight; it may still be applied"));
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
