using DistStack.Actors.Node;
using DistStack.Actors.Raft;

namespace DistStack.Actors.Shell;

/// <summary>
/// The shell's side of membership changes, with no actor, task or clock (time is the caller's tick count): which
/// proposed changes are still waiting for their configuration entry to commit, what to answer each, and which
/// learner the leader should promote now because the configuration marks it to be promoted once caught up
/// (raftexample's <c>POST /{id}</c>). The core decides whether a change is allowed; this only waits and asks.
/// </summary>
public sealed class MembershipChanges<TClient>
{
    private readonly List<Waiting> _waiting = [];

    private sealed record Waiting(long Index, long Term, TClient Client, long AnswerBy, string Detail);

    public int WaitingCount => _waiting.Count;

    /// <summary>The change's configuration entry is (Index, Term): answer <paramref name="client"/> once it commits.</summary>
    public void Wait(long index, long term, TClient client, long answerBy, string detail) =>
        _waiting.Add(new Waiting(index, term, client, answerBy, detail));

    /// <summary>
    /// The answers now due. An entry committed at its index with its term is done (Log Matching: it is the entry
    /// that was proposed). Another term committed there means it was overwritten before it committed: nothing changed
    /// (a retry proposes it again). Past the deadline the outcome is unknown: it may still commit.
    /// </summary>
    public IReadOnlyList<(TClient Client, MembershipReply Reply)> Due(Func<long, long?> committedTermAt,
        ClusterConfiguration configuration, long now)
    {
        if (_waiting.Count == 0) return [];
        var due = new List<(TClient, MembershipReply)>();
        for (var i = _waiting.Count - 1; i >= 0; i--)
        {
            var waiting = _waiting[i];
            MembershipReply? reply = committedTermAt(waiting.Index) switch
            {
                { } term when term == waiting.Term => new MembershipReply.Done(waiting.Detail, configuration),
                not null => new MembershipReply.NotStarted(
                    "leadership changed before the change was committed and it was overwritten: nothing changed; retry", null),
                null when now >= waiting.AnswerBy => new MembershipReply.OutcomeUnknown(
                    "the change was proposed but not seen committed in time (leader lost, or no quorum); it may still " +
                    "take effect: retry it, a change whose target state holds answers 200"),
                _ => null,
            };
            if (reply is null) continue;
            due.Add((waiting.Client, reply));
            _waiting.RemoveAt(i);
        }
        due.Reverse();
        return due;
    }

    /// <summary>
    /// The learner to promote now: the first one the configuration marks to be promoted once caught up that
    /// <paramref name="isCaughtUp"/> says is (the core's definition). One at a time: the core accepts one uncommitted
    /// change. The mark is in the log, so whichever node leads, after any change of leader, does this.
    /// </summary>
    public static int? LearnerToPromote(ClusterConfiguration configuration, Func<int, bool> isCaughtUp)
    {
        foreach (var learner in configuration.PromoteWhenCaughtUp)
            if (isCaughtUp(learner)) return learner;
        return null;
    }

    /// <summary>Everything still waiting is answered (the node stops or restarts its Raft actor).</summary>
    public IReadOnlyList<TClient> TakeAllWaiting()
    {
        var clients = _waiting.Select(w => w.Client).ToList();
        _waiting.Clear();
        return clients;
    }
}
