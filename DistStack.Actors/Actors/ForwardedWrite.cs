using Akka.Actor;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Actors;

/// <summary>
/// A follower's write on its way to the leader, from the moment it is forwarded until the client has its one
/// answer. RaftNode starts one per forwarded write and tells it every leader it learns of (<see cref="SendCopy"/>):
/// the first copy goes to the leader of the moment; if that leader dies or is deposed, a copy goes to the next one
/// at once, with the same request key (the state machine applies a key at most once, and a retried key answers
/// with the first application's result), so a write sent through a follower right after a leader dies completes
/// in about an election, not after the whole request timeout. Leaders answer this actor, never the client:
///  - Completed from any copy is the answer, except "request keys full", which means that copy was not applied;
///  - NotStarted or OutcomeUnknown from a copy only counts: once every copy sent has answered, the client hears
///    NotStarted if none of them can ever apply, OutcomeUnknown otherwise;
///  - at the deadline (the request timeout), OutcomeUnknown: a copy may still apply.
/// Each copy is answered at most once by the node it reached, so counting answers is enough.
/// </summary>
internal sealed class ForwardedWrite : ReceiveActor, IWithTimers
{
    private const string DeadlineTimer = "deadline";

    private readonly ForwardedCommand _forwarded;
    private readonly IActorRef _client;
    private readonly TimeSpan _within;
    private readonly HashSet<int> _sentTo = [];
    private int _notStarted;
    private int _unknown;
    private bool _answered;

    public ForwardedWrite(StackCommand command, int originNodeId, IActorRef client, TimeSpan within)
    {
        _forwarded = new ForwardedCommand(command, originNodeId);
        _client = client;
        Receive<SendCopy>(OnSendCopy);
        // A copy refused because the client keys are full was not recorded, so another copy may still apply.
        Receive<Completed>(completed => completed.Result.Outcome == StackOutcome.RequestKeysFull, refused =>
            CountNotStarted(refused));
        Receive<Completed>(completed => Answer(completed));
        Receive<NotStarted>(CountNotStarted);
        Receive<OutcomeUnknown>(unknown =>
        {
            _unknown++;
            if (AllCopiesAnswered) Answer(_sentTo.Count == 1 ? unknown : new OutcomeUnknown(UnknownReason));
        });
        Receive<DeadlinePassed>(_ => Answer(new OutcomeUnknown(
            $"forwarded to the leader{(_sentTo.Count > 1 ? $" ({_sentTo.Count} leaders in turn)" : "")}; no answer in time, it may still be applied")));
        _within = within;
    }

    protected override void PreStart() => Timers.StartSingleTimer(DeadlineTimer, DeadlinePassed.Instance, _within);

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(StackCommand command, int originNodeId, IActorRef client, TimeSpan within) =>
        Akka.Actor.Props.Create(() => new ForwardedWrite(command, originNodeId, client, within));

    private const string UnknownReason = "forwarded to more than one leader in turn; one of them may still apply it";

    private void CountNotStarted(NodeReply notStarted)
    {
        _notStarted++;
        if (AllCopiesAnswered) Answer(_unknown == 0 ? notStarted : new OutcomeUnknown(UnknownReason));
    }

    private bool AllCopiesAnswered => _notStarted + _unknown >= _sentTo.Count;

    private void OnSendCopy(SendCopy copy)
    {
        if (_answered || !_sentTo.Add(copy.LeaderId)) return;
        copy.Leader.Tell(_forwarded, Self);
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
}
