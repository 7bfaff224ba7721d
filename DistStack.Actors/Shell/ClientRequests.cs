using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Shell;

/// <summary>
/// Every client request one node holds, and every decision about it, with no actor, task or clock of its own:
/// commands proposed on the leader or forwarded by a follower, linearizable reads (ReadIndex), requests waiting for
/// a leader, leadership hand-overs, backpressure, deadlines in ticks. RaftNode feeds it (a request, a tick, a role
/// change, committed entries, read states) and carries out what it asks for through <see cref="IClientEffects{TClient}"/>;
/// a test can run it over a bare <see cref="RaftCore"/> with any client handle.
///
/// Every request gets exactly one answer, and within one budget (<see cref="ClientRequestLimits.AnswerWithinTicks"/>,
/// counted from its arrival and kept through every wait):
///  - Completed: applied (or read) with this result (the state machine answers it; see <see cref="TakeWaiters"/>);
///  - NotStarted: nothing was applied (no leader known in time, overloaded, not the leader any more, or another
///    entry was committed at the proposal's index, so it can never be applied);
///  - OutcomeUnknown: it may have been or may yet be applied (a retry with the same request key is safe: the
///    state machine applies a key at most once).
/// </summary>
public sealed class ClientRequests<TClient> where TClient : class
{
    /// <summary>A proposal waiting for its index to commit; <paramref name="Older"/>: one proposed earlier at the same index.</summary>
    private sealed record PendingProposal(long Term, TClient Client, long DeadlineTick, PendingProposal? Older)
    {
        public IEnumerable<PendingProposal> AllAtIndex()
        {
            for (var proposal = this; proposal is not null; proposal = proposal.Older) yield return proposal;
        }
    }

    private sealed record PendingRead(StackQuery Query, TClient Client, long DeadlineTick);

    /// <summary>
    /// A request that arrived while no leader was known, dispatched again on every tick until
    /// <paramref name="GiveUpTick"/> (the no-leader wait, never past the request's own <paramref name="AnswerByTick"/>).
    /// </summary>
    private sealed record AwaitingLeader(object Request, TClient Client, long AnswerByTick, long GiveUpTick);

    private sealed record PendingHandOver(TClient Client, long DeadlineTick);

    private readonly RaftCore _core;
    private readonly ClientRequestLimits _limits;
    private readonly IClientEffects<TClient> _effects;
    private readonly Func<long> _wallClockMs;
    /// <summary>
    /// Pending proposals by log index, the latest first. More than one can wait at an index: a leader whose entry
    /// there was truncated (it lost leadership before the entry committed) can lead again and propose anew at the
    /// same index, while the old entry may still be committed by another leader that holds it. Only the entry
    /// committed there decides. (A chain, not a list per index: the common case allocates nothing more.)
    /// </summary>
    private readonly Dictionary<long, PendingProposal> _proposals = new();
    private int _proposalCount;
    private readonly Dictionary<long, PendingRead> _reads = new();
    private readonly List<AwaitingLeader> _awaitingLeader = [];
    private readonly List<PendingHandOver> _handOvers = [];
    private long _nextReadId;
    private long _lastStampMs;

    /// <param name="firstReadId">
    /// Where this incarnation's read ids start. They must never repeat across incarnations of one node (a restart by
    /// the backoff supervisor keeps the process): a forwarded read is matched to its answer by id and leader, so a
    /// late answer to the previous incarnation's read N would otherwise answer this one's read N with an older read
    /// index. The shell draws it at random from a 2^62 range.
    /// </param>
    /// <param name="wallClockMs">The leader's stamp on a command it proposes (Unix ms); injected, never read here otherwise.</param>
    public ClientRequests(RaftCore core, ClientRequestLimits limits, IClientEffects<TClient> effects, long firstReadId, Func<long> wallClockMs)
    {
        _core = core;
        _limits = limits;
        _effects = effects;
        _nextReadId = firstReadId;
        _wallClockMs = wallClockMs;
    }

    /// <summary>Raft's clock for requests: ticks since this incarnation started.</summary>
    public long Now { get; private set; }

    /// <summary>The role, leader and term of the last <see cref="SoftState"/> the core reported.</summary>
    public RaftRole Role { get; private set; } = RaftRole.Follower;
    public int? LeaderId { get; private set; }
    public long Term { get; private set; }
    public bool IsLeader => Role == RaftRole.Leader;

    public int PendingProposals => _proposalCount;

    /// <summary>The tick by which a request arriving now is answered (see <see cref="ClientRequestLimits.AnswerWithinTicks"/>).</summary>
    public long AnswerByTick() => Now + _limits.AnswerWithinTicks;

    /// <summary>One tick passed: answer whatever is past its deadline, dispatch again what waits for a leader.</summary>
    public void Tick()
    {
        Now++;
        ExpireWaiters();
        RetryAwaitingLeader();
    }

    /// <summary>A command from a local client (<paramref name="forwarded"/> false) or forwarded by a follower.</summary>
    /// <param name="giveUpTick">The end of an earlier wait for a leader, kept when a waiting request is dispatched again.</param>
    public void Command(StackCommand command, TClient client, bool forwarded, long answerByTick, long? giveUpTick = null)
    {
        if (IsLeader)
        {
            Propose(command, client, forwarded, answerByTick, giveUpTick);
            return;
        }
        if (LeaderId is { } leader && leader != _limits.NodeId)
        {
            if (forwarded)
            {
                // Never forward twice: two nodes with stale views could bounce a command between them.
                _effects.Answer(client, new NotStarted($"not the leader any more (node {leader} leads now)"));
                return;
            }
            if (_effects.Forward(command, client, leader, Math.Max(1, answerByTick - Now))) return;
        }
        Await(forwarded ? new ForwardedCommand(command, _limits.NodeId) : new ExecuteCommand(command), client, answerByTick, giveUpTick);
    }

    /// <summary>A linearizable read: ReadIndex on the leader (a follower asks it), then served once applied up to it.</summary>
    public void Query(StackQuery query, TClient client, long answerByTick, long? giveUpTick = null)
    {
        if (LeaderId is null)
        {
            Await(new ExecuteQuery(query), client, answerByTick, giveUpTick);
            return;
        }
        if (_reads.Count >= _limits.MaxInFlight)
        {
            _effects.Answer(client, new NotStarted("overloaded: too many reads in flight; retry later"));
            return;
        }
        var requestId = ++_nextReadId;
        _reads[requestId] = new PendingRead(query, client, answerByTick);
        _core.ReadIndex(requestId);
        _effects.ReadyMayFollow();
    }

    /// <summary>Graceful shutdown: a leader hands leadership to its most up-to-date follower, bounded in time.</summary>
    public void HandOver(TClient client)
    {
        if (!IsLeader)
        {
            _effects.HandedOver(client, new LeadershipHandedOver(false, LeaderId));
            return;
        }
        var status = _core.Status;
        var target = status.MatchIndex
            .Where(m => m.Key != _limits.NodeId)
            .OrderByDescending(m => m.Value)
            .Select(m => (int?)m.Key)
            .FirstOrDefault();
        if (target is null)
        {
            _effects.HandedOver(client, new LeadershipHandedOver(true, null));
            return;
        }
        _effects.Log($"Handing leadership over to node {target} (match index {status.MatchIndex[target.Value]})");
        _core.TransferLeadership(target.Value);
        _handOvers.Add(new PendingHandOver(client, Now + _limits.HandOverTicks));
        _effects.ReadyMayFollow();
    }

    /// <summary>The core's role or leader changed (a Ready's SoftState).</summary>
    public void OnSoftState(SoftState soft)
    {
        var wasLeader = IsLeader;
        var changed = soft.Role != Role || soft.LeaderId != LeaderId;
        Role = soft.Role;
        LeaderId = soft.LeaderId;
        Term = soft.Term;
        if (changed)
            _effects.Log($"Node {_limits.NodeId} is {soft.Role} in term {soft.Term}; leader: {soft.LeaderId?.ToString() ?? "none"}");
        if (wasLeader && !IsLeader && _proposalCount > 0)
            _effects.Log($"Lost leadership with {_proposalCount} proposals pending; they are answered when their index commits or times out");

        // A new leader: every forwarded write still in flight sends it a copy (the old leader may be dead).
        if (changed && LeaderId is { } newLeader) _effects.NewLeaderForForwardedWrites(newLeader);

        if (LeaderId is { } leader && leader != _limits.NodeId && _handOvers.Count > 0)
        {
            foreach (var handOver in _handOvers) _effects.HandedOver(handOver.Client, new LeadershipHandedOver(true, leader));
            _handOvers.Clear();
        }
        // Not now: the shell is between taking a Ready and advancing it, and dispatching may propose.
        if (LeaderId is not null && _awaitingLeader.Count > 0) _effects.DispatchWaitingSoon();
    }

    /// <summary>What the shell calls for <see cref="IClientEffects{TClient}.DispatchWaitingSoon"/>, once the Ready is done.</summary>
    public void DispatchWaiting() => RetryAwaitingLeader();

    /// <summary>
    /// Committed entries, with the clients that proposed exactly them (the state machine answers those). A different
    /// entry at a proposal's index means ours was overwritten by a newer leader: an index holds one entry forever
    /// once committed, so ours can never be applied, and its client hears NotStarted.
    /// </summary>
    public IReadOnlyDictionary<long, TClient> TakeWaiters(IReadOnlyList<LogEntry> committed)
    {
        if (_proposalCount == 0) return Empty;
        Dictionary<long, TClient>? waiters = null;
        foreach (var entry in committed)
        {
            if (!_proposals.Remove(entry.Index, out var latest)) continue;
            for (var proposal = latest; proposal is not null; proposal = proposal.Older)
            {
                _proposalCount--;
                if (proposal.Term == entry.Term) (waiters ??= new())[entry.Index] = proposal.Client;
                else _effects.Answer(proposal.Client, new NotStarted(
                    "leadership was lost before the command committed; another entry took its place, so it was not applied"));
            }
        }
        return waiters ?? Empty;
    }

    private static readonly IReadOnlyDictionary<long, TClient> Empty = new Dictionary<long, TClient>();

    /// <summary>Read indexes confirmed (or refused) by the leader: each read is served once applied up to its index.</summary>
    public void OnReadStates(IReadOnlyList<ReadState> readStates)
    {
        foreach (var state in readStates)
        {
            if (!_reads.Remove(state.RequestId, out var read)) continue;
            if (state.Rejected is { } rejected)
                _effects.Answer(read.Client, new NotStarted($"read not served: {rejected}"));
            else
                _effects.ServeRead(state.ReadIndex, read.Query, read.Client, Math.Max(1, read.DeadlineTick - Now));
        }
    }

    /// <summary>A leader's snapshot was installed: proposals at or below it can no longer be matched to an entry.</summary>
    public void SnapshotInstalled(long lastIncludedIndex)
    {
        foreach (var index in _proposals.Keys.Where(index => index <= lastIncludedIndex).ToList())
        {
            _proposals.Remove(index, out var latest);
            foreach (var stale in latest!.AllAtIndex())
            {
                _proposalCount--;
                _effects.Answer(stale.Client, new OutcomeUnknown("superseded by the leader's snapshot"));
            }
        }
    }

    /// <summary>Nobody waits forever: on a failed write or a stop, every waiting request gets its answer now.</summary>
    public void FailAll(string reason)
    {
        foreach (var proposal in _proposals.Values.SelectMany(latest => latest.AllAtIndex())) _effects.Answer(proposal.Client, new OutcomeUnknown(reason));
        _proposals.Clear();
        _proposalCount = 0;
        foreach (var read in _reads.Values) _effects.Answer(read.Client, new NotStarted(reason));
        _reads.Clear();
        foreach (var awaiting in _awaitingLeader) _effects.Answer(awaiting.Client, new NotStarted(reason));
        _awaitingLeader.Clear();
        foreach (var handOver in _handOvers) _effects.HandedOver(handOver.Client, new LeadershipHandedOver(IsLeader, null));
        _handOvers.Clear();
    }

    private void Propose(StackCommand command, TClient client, bool forwarded, long answerByTick, long? giveUpTick)
    {
        if (_proposalCount >= _limits.MaxInFlight)
        {
            _effects.Answer(client, new NotStarted("overloaded: too many commands in flight; retry later"));
            return;
        }

        byte[] encoded;
        try
        {
            encoded = StackCommandCodec.Encode(command, StampNow());
        }
        catch (ArgumentException e)
        {
            _effects.Answer(client, new NotStarted($"command cannot be encoded: {e.Message}"));
            return;
        }

        switch (_core.Propose(encoded))
        {
            case ProposeResult.Accepted accepted:
                _proposals[accepted.Index] = new PendingProposal(accepted.Term, client, answerByTick,
                    _proposals.GetValueOrDefault(accepted.Index));
                _proposalCount++;
                _effects.ReadyMayFollow();
                break;
            case ProposeResult.NotLeader notLeader:
                // The core stepped down since its last SoftState (which the next Ready brings): follow its hint now.
                LeaderId = notLeader.LeaderHint;
                Role = RaftRole.Follower;
                Command(command, client, forwarded, answerByTick, giveUpTick);
                break;
            case ProposeResult.TransferInProgress:
                // Leadership moves within a round trip or two: wait for the new leader and forward it there.
                Await(forwarded ? new ForwardedCommand(command, _limits.NodeId) : new ExecuteCommand(command), client, answerByTick, giveUpTick);
                break;
        }
    }

    /// <summary>
    /// The leader's stamp on a command it proposes: the wall clock in Unix milliseconds, never below an earlier stamp
    /// of this node. The state machine keeps the maximum of all stamps as the log's clock, which client keys age by,
    /// so a clock that steps back only makes keys live longer; one that jumps ahead ages them sooner, which is why
    /// they are also kept for the last entries.
    /// </summary>
    private long StampNow() => _lastStampMs = Math.Max(_lastStampMs, _wallClockMs());

    private void Await(object request, TClient client, long answerByTick, long? giveUpTick)
    {
        if (_awaitingLeader.Count >= _limits.MaxInFlight)
        {
            _effects.Answer(client, new NotStarted("overloaded: no leader known and too many requests waiting for one"));
            return;
        }
        var giveUp = giveUpTick ?? Math.Min(answerByTick, Now + _limits.NoLeaderWaitTicks);
        _awaitingLeader.Add(new AwaitingLeader(request, client, answerByTick, giveUp));
    }

    private void RetryAwaitingLeader()
    {
        if (_awaitingLeader.Count == 0) return;
        var waiting = _awaitingLeader.ToList();
        _awaitingLeader.Clear();
        var leaderKnown = LeaderId is not null;
        foreach (var awaiting in waiting)
        {
            if (awaiting.GiveUpTick <= Now)
            {
                _effects.Answer(awaiting.Client, new NotStarted("no leader"));
                continue;
            }
            if (!leaderKnown)
            {
                _awaitingLeader.Add(awaiting);
                continue;
            }
            // Dispatched again; if it still cannot go anywhere it waits on, within its original deadlines.
            switch (awaiting.Request)
            {
                case ExecuteCommand c: Command(c.Command, awaiting.Client, forwarded: false, awaiting.AnswerByTick, awaiting.GiveUpTick); break;
                case ForwardedCommand c: Command(c.Command, awaiting.Client, forwarded: true, awaiting.AnswerByTick, awaiting.GiveUpTick); break;
                case ExecuteQuery q: Query(q.Query, awaiting.Client, awaiting.AnswerByTick, awaiting.GiveUpTick); break;
            }
        }
    }

    private void ExpireWaiters()
    {
        if (_proposalCount > 0)
        {
            // Every tick, over every pending proposal: a plain walk, no iterator or closure per index.
            List<long>? withExpired = null;
            foreach (var (index, latest) in _proposals)
                for (var proposal = latest; proposal is not null; proposal = proposal.Older)
                    if (proposal.DeadlineTick <= Now)
                    {
                        (withExpired ??= []).Add(index);
                        break;
                    }
            if (withExpired is not null)
                foreach (var index in withExpired)
                {
                    // Rare (a proposal that missed its deadline): rebuild the chain without the expired ones.
                    var all = _proposals[index].AllAtIndex().ToList();
                    PendingProposal? kept = null;
                    for (var i = all.Count - 1; i >= 0; i--)
                    {
                        if (all[i].DeadlineTick > Now)
                        {
                            kept = all[i] with { Older = kept };
                            continue;
                        }
                        _proposalCount--;
                        _effects.Answer(all[i].Client, new OutcomeUnknown("not committed in time; it may still be applied"));
                    }
                    if (kept is null) _proposals.Remove(index);
                    else _proposals[index] = kept;
                }
        }
        if (_reads.Count > 0)
        {
            List<long>? expired = null;
            foreach (var (id, read) in _reads)
                if (read.DeadlineTick <= Now) (expired ??= []).Add(id);
            if (expired is not null)
                foreach (var id in expired)
                {
                    _reads.Remove(id, out var read);
                    _effects.Answer(read!.Client, new NotStarted("read not confirmed by a quorum in time"));
                }
        }
        if (_handOvers.Count > 0)
        {
            foreach (var handOver in _handOvers.Where(h => h.DeadlineTick <= Now))
                _effects.HandedOver(handOver.Client, new LeadershipHandedOver(true, LeaderId == _limits.NodeId ? null : LeaderId));
            _handOvers.RemoveAll(h => h.DeadlineTick <= Now);
        }
    }
}

/// <summary>
/// The bounds of <see cref="ClientRequests{TClient}"/>, in ticks. <paramref name="AnswerWithinTicks"/> is the one budget
/// of every request (the request timeout, less a tick: deadlines are checked on ticks and the answer still has to
/// reach the gateway, whose Ask ends at the request timeout itself).
/// </summary>
public sealed record ClientRequestLimits(
    int NodeId,
    long AnswerWithinTicks,
    long NoLeaderWaitTicks,
    long HandOverTicks,
    int MaxInFlight);

/// <summary>What <see cref="ClientRequests{TClient}"/> asks its runner to do; each call is carried out at once.</summary>
public interface IClientEffects<in TClient>
{
    /// <summary>The request's one answer.</summary>
    void Answer(TClient client, NodeReply reply);

    /// <summary>The answer to a hand-over request.</summary>
    void HandedOver(TClient client, LeadershipHandedOver result);

    /// <summary>
    /// Forward a command to the leader, which answers the runner's forwarded-write tracker, and through it the client,
    /// within <paramref name="ticksLeft"/>. False when the leader cannot be addressed (the command then waits for one).
    /// </summary>
    bool Forward(StackCommand command, TClient client, int leaderId, long ticksLeft);

    /// <summary>A new leader: every forwarded write in flight sends it a copy.</summary>
    void NewLeaderForForwardedWrites(int leaderId);

    /// <summary>Serve a confirmed read once the state machine has applied up to <paramref name="readIndex"/>, within <paramref name="ticksLeft"/>.</summary>
    void ServeRead(long readIndex, StackQuery query, TClient client, long ticksLeft);

    /// <summary>The core has work: take its next Ready soon.</summary>
    void ReadyMayFollow();

    /// <summary>Call <see cref="ClientRequests{TClient}.DispatchWaiting"/> once the current Ready is done.</summary>
    void DispatchWaitingSoon();

    void Log(string line);
}
