using DistStack.Actors.Node;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Shell;

/// <summary>
/// The decisions of one write a follower forwarded, from the moment it is forwarded until its client has its one
/// answer; no actor, no timer (the runner tells it when a leader is learned, a re-send is due, an answer arrives,
/// the deadline passes). A copy goes to each new leader at once, with the same request key (the state machine
/// applies a key at most once, and a retried key answers with the first application's result), so a write sent
/// through a follower right after a leader dies completes in about an election. A copy can also be lost on the way
/// (a connection Akka.Remote left dead after the leader's process restarted): while no answer comes, another copy
/// goes to the leader of the moment at every re-send, so a lost copy costs a re-send interval, not the whole
/// request timeout. What the client hears:
///  - Completed from any copy is the answer, except "request keys full", which means that copy was not applied;
///  - NotStarted or OutcomeUnknown from a copy only counts: once every copy sent has answered, the client hears
///    NotStarted if none of them can ever apply, OutcomeUnknown otherwise;
///  - at the deadline, OutcomeUnknown: a copy may still apply.
/// Each copy is answered at most once by the node it reached, so counting answers is enough.
/// </summary>
public sealed class ForwardedCopies
{
    private readonly HashSet<int> _leaders = [];
    private int _notStarted;
    private int _unknown;

    /// <summary>The leader the next re-send goes to (the last one learned).</summary>
    public int? CurrentLeader { get; private set; }

    public int Copies { get; private set; }

    public bool Answered { get; private set; }

    /// <summary>A leader was learned: true when a copy must go to it now (not yet answered, not already sent one).</summary>
    public bool OnLeader(int leaderId)
    {
        if (Answered || !_leaders.Add(leaderId)) return false;
        CurrentLeader = leaderId;
        Copies++;
        return true;
    }

    /// <summary>A re-send interval passed with no answer: true when another copy must go to <see cref="CurrentLeader"/>.</summary>
    public bool OnResendDue()
    {
        if (Answered || CurrentLeader is null) return false;
        Copies++;
        return true;
    }

    /// <summary>A copy's answer: the client's answer now, or null when it only counts.</summary>
    public NodeReply? OnAnswer(NodeReply reply)
    {
        if (Answered) return null;
        switch (reply)
        {
            case Completed { Result.Outcome: StackOutcome.RequestKeysFull }:
            case NotStarted:
                _notStarted++;
                return AllCopiesAnswered ? Final(_unknown == 0 ? reply : new OutcomeUnknown(SeveralCopies)) : null;
            case OutcomeUnknown:
                _unknown++;
                return AllCopiesAnswered ? Final(Copies == 1 ? reply : new OutcomeUnknown(SeveralCopies)) : null;
            default:
                return Final(reply);
        }
    }

    /// <summary>The deadline passed: the client's answer, or null when it has one already.</summary>
    public NodeReply? OnDeadline() => Answered ? null : Final(new OutcomeUnknown(
        $"forwarded to the leader ({Copies} {(Copies == 1 ? "copy" : "copies")} to {_leaders.Count} " +
        $"{(_leaders.Count == 1 ? "leader" : "leaders in turn")}); no answer in time, it may still be applied"));

    /// <summary>The node stops with the write in flight: the client's answer, or null when it has one already.</summary>
    public NodeReply? OnStopped() => Answered ? null : Final(new OutcomeUnknown(
        "this node stopped while its forwarded write was in flight; it may still be applied"));

    private const string SeveralCopies = "forwarded more than once (to a new leader, or again when no answer came); a copy may still be applied";

    private bool AllCopiesAnswered => _notStarted + _unknown >= Copies;

    private NodeReply Final(NodeReply reply)
    {
        Answered = true;
        return reply;
    }
}
