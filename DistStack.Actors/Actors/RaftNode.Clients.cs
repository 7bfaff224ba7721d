using Akka.Event;
using Akka.Actor;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Actors;

// Clients: commands (proposed on the leader, forwarded by followers), linearizable reads (ReadIndex),
// backpressure, leadership hand-over. Every request gets exactly one answer within a bounded time:
//  - Completed: applied (or read) with this result;
//  - NotStarted: nothing was applied (no leader known in time, overloaded, not the leader any more, or another
//    entry was committed at the proposal's index, so it can never be applied);
//  - OutcomeUnknown: it may have been or may yet be applied (a retry with the same request key is safe: the
//    state machine applies a key at most once).
public sealed partial class RaftNode
{
    private sealed record PendingProposal(long Term, IActorRef ReplyTo, long DeadlineTick);

    private sealed record PendingRead(StackQuery Query, IActorRef ReplyTo, long DeadlineTick);

    /// <summary>
    /// A request that arrived while no leader was known, retried on every tick until <paramref name="GiveUpTick"/>
    /// (the no-leader wait, never past the request's own <paramref name="AnswerByTick"/>).
    /// </summary>
    private sealed record AwaitingLeader(object Request, IActorRef ReplyTo, long AnswerByTick, long GiveUpTick);

    private sealed record PendingHandOver(IActorRef ReplyTo, long DeadlineTick);

    private readonly Dictionary<long, PendingProposal> _proposals = new();
    private readonly Dictionary<long, PendingRead> _reads = new();
    private readonly List<AwaitingLeader> _awaitingLeader = [];
    private readonly List<PendingHandOver> _handOvers = [];

    /// <summary>Writes this follower forwarded and whose client has no answer yet (children; see ForwardedWrite).</summary>
    private readonly HashSet<IActorRef> _forwardedWrites = [];

    /// <summary>
    /// Read ids must never repeat across incarnations of this actor (a restart by the backoff supervisor keeps the
    /// process): a forwarded read is matched to its answer by id and leader, so a late answer to the previous
    /// incarnation's read N would otherwise answer this one's read N with an older read index. Each incarnation
    /// starts at a random point of a 2^62 range; the shell may draw randomness, the core may not.
    /// </summary>
    private long _nextReadId = Random.Shared.NextInt64(1L << 62);

    private RaftRole _role = RaftRole.Follower;
    private int? _leaderId;
    private long _term;

    private bool IsLeader => _role == RaftRole.Leader;

    /// <summary>
    /// The tick by which a request arriving now is answered: one request timeout (diststack.clients.request-timeout),
    /// the single budget every request is given, counted from its arrival here and kept through every wait for a
    /// leader, forward and re-forward. One tick short of it, because deadlines are checked on ticks and the answer
    /// still has to reach the gateway, whose Ask ends at the request timeout itself (a backstop for a node that
    /// cannot answer at all).
    /// </summary>
    private long AnswerByTick() => _ticks + Math.Max(1, TicksFor(_settings.RequestTimeout) - 1);

    private TimeSpan TimeLeftUntil(long tick) => TimeSpan.FromMilliseconds(TicksToMilliseconds(Math.Max(1, tick - _ticks)));

    /// <param name="giveUpTick">The end of an earlier wait for a leader, kept when a waiting request is dispatched again.</param>
    private void OnCommand(StackCommand command, IActorRef replyTo, bool forwarded, long answerByTick, long? giveUpTick = null)
    {
        if (_core is null)
        {
            replyTo.Tell(NotRunning());
            return;
        }

        if (IsLeader)
        {
            Propose(command, replyTo, forwarded, answerByTick, giveUpTick);
            return;
        }

        if (_leaderId is { } leader && leader != _settings.NodeId)
        {
            if (forwarded)
            {
                // Never forward twice: two nodes with stale views could bounce a command between them.
                replyTo.Tell(new NotStarted($"not the leader any more (node {leader} leads now)"));
                return;
            }
            if (_peers.TryGetValue(leader, out var peer))
            {
                var write = Context.ActorOf(ForwardedWrite.Props(command, _settings.NodeId, replyTo, TimeLeftUntil(answerByTick),
                    resendEvery: TimeSpan.FromMilliseconds(TicksToMilliseconds(_settings.ElectionTicks))));
                Context.Watch(write);
                _forwardedWrites.Add(write);
                write.Tell(new ForwardedWrite.SendCopy(leader, peer));
                return;
            }
        }

        Await(forwarded ? new ForwardedCommand(command, _settings.NodeId) : new ExecuteCommand(command), replyTo, answerByTick, giveUpTick);
    }

    private void Propose(StackCommand command, IActorRef replyTo, bool forwarded, long answerByTick, long? giveUpTick)
    {
        if (_proposals.Count >= _settings.MaxInFlightProposals)
        {
            replyTo.Tell(new NotStarted("overloaded: too many commands in flight; retry later"));
            return;
        }

        byte[] encoded;
        try
        {
            encoded = StackCommandCodec.Encode(command, StampNow());
        }
        catch (Exception e)
        {
            replyTo.Tell(new NotStarted($"command cannot be encoded: {e.Message}"));
            return;
        }

        switch (Core.Propose(encoded))
        {
            case ProposeResult.Accepted accepted:
                _proposals[accepted.Index] = new PendingProposal(accepted.Term, replyTo, answerByTick);
                ScheduleFlush();
                break;
            case ProposeResult.NotLeader notLeader:
                _leaderId = notLeader.LeaderHint;
                _role = RaftRole.Follower;
                OnCommand(command, replyTo, forwarded, answerByTick, giveUpTick);
                break;
            case ProposeResult.TransferInProgress:
                // Leadership moves within a round trip or two: wait for the new leader and forward it there.
                Await(forwarded ? new ForwardedCommand(command, _settings.NodeId) : new ExecuteCommand(command), replyTo, answerByTick, giveUpTick);
                break;
        }
    }

    /// <summary>
    /// The leader's stamp on a command it proposes: its wall clock in Unix milliseconds, never below an earlier stamp
    /// of this node. The state machine keeps the maximum of all stamps as the log's clock, which client keys age by,
    /// so a clock that steps back only makes keys live longer; one that jumps ahead ages them sooner, which is
    /// why they are also kept for the last entries.
    /// </summary>
    private long StampNow() => _lastStampMs = Math.Max(_lastStampMs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    private long _lastStampMs;

    private void OnQuery(StackQuery query, IActorRef replyTo, long answerByTick, long? giveUpTick = null)
    {
        if (_core is null)
        {
            replyTo.Tell(NotRunning());
            return;
        }
        if (_leaderId is null)
        {
            Await(new ExecuteQuery(query), replyTo, answerByTick, giveUpTick);
            return;
        }
        if (_reads.Count >= _settings.MaxInFlightProposals)
        {
            replyTo.Tell(new NotStarted("overloaded: too many reads in flight; retry later"));
            return;
        }
        var requestId = ++_nextReadId;
        _reads[requestId] = new PendingRead(query, replyTo, answerByTick);
        Core.ReadIndex(requestId);
        ScheduleFlush();
    }

    private void Await(object request, IActorRef replyTo, long answerByTick, long? giveUpTick)
    {
        if (_awaitingLeader.Count >= _settings.MaxInFlightProposals)
        {
            replyTo.Tell(new NotStarted("overloaded: no leader known and too many requests waiting for one"));
            return;
        }
        var giveUp = giveUpTick ?? Math.Min(answerByTick, _ticks + TicksFor(_settings.NoLeaderWait));
        _awaitingLeader.Add(new AwaitingLeader(request, replyTo, answerByTick, giveUp));
    }

    private void RetryAwaitingLeader()
    {
        if (_awaitingLeader.Count == 0) return;
        var waiting = _awaitingLeader.ToList();
        _awaitingLeader.Clear();
        var leaderKnown = _leaderId is not null;
        foreach (var awaiting in waiting)
        {
            if (awaiting.GiveUpTick <= _ticks)
            {
                awaiting.ReplyTo.Tell(new NotStarted("no leader"));
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
                case ExecuteCommand c: OnCommand(c.Command, awaiting.ReplyTo, forwarded: false, awaiting.AnswerByTick, awaiting.GiveUpTick); break;
                case ForwardedCommand c: OnCommand(c.Command, awaiting.ReplyTo, forwarded: true, awaiting.AnswerByTick, awaiting.GiveUpTick); break;
                case ExecuteQuery q: OnQuery(q.Query, awaiting.ReplyTo, awaiting.AnswerByTick, awaiting.GiveUpTick); break;
            }
        }
    }

    /// <summary>
    /// Committed entries go to the registry with the clients that proposed exactly them. A different entry at a
    /// proposal's index means ours was overwritten by a newer leader: an index holds one entry forever once
    /// committed, so ours can never be applied, and the client hears NotStarted.
    /// </summary>
    private void HandOverCommitted(IReadOnlyList<LogEntry> entries)
    {
        Dictionary<long, IActorRef>? waiters = null;
        if (_proposals.Count > 0)
        {
            foreach (var entry in entries)
            {
                if (!_proposals.Remove(entry.Index, out var proposal)) continue;
                if (proposal.Term == entry.Term) (waiters ??= new())[entry.Index] = proposal.ReplyTo;
                else proposal.ReplyTo.Tell(new NotStarted(
                    "leadership was lost before the command committed; another entry took its place, so it was not applied"));
            }
        }
        _registry.Tell(new ApplyCommitted(entries, waiters ?? EmptyWaiters));
    }

    private static readonly IReadOnlyDictionary<long, IActorRef> EmptyWaiters = new Dictionary<long, IActorRef>();

    private void OnReadStates(IReadOnlyList<ReadState> readStates)
    {
        foreach (var state in readStates)
        {
            if (!_reads.Remove(state.RequestId, out var read)) continue;
            if (state.Rejected is { } rejected)
                read.ReplyTo.Tell(new NotStarted($"read not served: {rejected}"));
            else
                _registry.Tell(new ServeRead(state.ReadIndex, read.Query, read.ReplyTo, TimeLeftUntil(read.DeadlineTick)));
        }
    }

    private void OnSoftState(SoftState soft)
    {
        var wasLeader = IsLeader;
        var changed = soft.Role != _role || soft.LeaderId != _leaderId;
        _role = soft.Role;
        _leaderId = soft.LeaderId;
        _term = soft.Term;
        if (changed)
            _log.Info("Node {0} is {1} in term {2}; leader: {3}",
                _settings.NodeId, soft.Role, soft.Term, soft.LeaderId?.ToString() ?? "none");

        if (wasLeader && !IsLeader && _proposals.Count > 0)
            _log.Info("Lost leadership with {0} proposals pending; they are answered when their index commits or times out",
                _proposals.Count);

        // A new leader: every forwarded write still in flight sends it a copy (the old leader may be dead).
        if (changed && _leaderId is { } newLeader && _forwardedWrites.Count > 0)
        {
            ICanTell? target = newLeader == _settings.NodeId ? Self : _peers.GetValueOrDefault(newLeader);
            if (target is not null)
                foreach (var write in _forwardedWrites) write.Tell(new ForwardedWrite.SendCopy(newLeader, target));
        }

        if (_leaderId is { } leader && leader != _settings.NodeId && _handOvers.Count > 0)
        {
            foreach (var handOver in _handOvers) handOver.ReplyTo.Tell(new LeadershipHandedOver(true, leader));
            _handOvers.Clear();
        }
        // Not now: we are between GetReady and Advance, and retrying may propose. Right after, via the mailbox.
        if (_leaderId is not null && _awaitingLeader.Count > 0) Self.Tell(LeaderKnown.Instance);
    }

    private void OnHandOver(IActorRef replyTo)
    {
        if (_core is null || !IsLeader)
        {
            replyTo.Tell(new LeadershipHandedOver(false, _leaderId));
            return;
        }
        var status = Core.Status;
        var target = status.MatchIndex
            .Where(m => m.Key != _settings.NodeId)
            .OrderByDescending(m => m.Value)
            .Select(m => (int?)m.Key)
            .FirstOrDefault();
        if (target is null)
        {
            replyTo.Tell(new LeadershipHandedOver(true, null));
            return;
        }
        _log.Info("Handing leadership over to node {0} (match index {1})", target, status.MatchIndex[target.Value]);
        Core.TransferLeadership(target.Value);
        _handOvers.Add(new PendingHandOver(replyTo, _ticks + TicksFor(_settings.HandOverTimeout)));
        ScheduleFlush();
    }

    /// <summary>Answer everything past its deadline. Runs on every tick.</summary>
    private void ExpireWaiters()
    {
        if (_proposals.Count > 0)
        {
            List<long>? expired = null;
            foreach (var (index, proposal) in _proposals)
                if (proposal.DeadlineTick <= _ticks) (expired ??= []).Add(index);
            if (expired is not null)
                foreach (var index in expired)
                {
                    _proposals.Remove(index, out var proposal);
                    proposal!.ReplyTo.Tell(new OutcomeUnknown("not committed in time; it may still be applied"));
                }
        }
        if (_reads.Count > 0)
        {
            List<long>? expired = null;
            foreach (var (id, read) in _reads)
                if (read.DeadlineTick <= _ticks) (expired ??= []).Add(id);
            if (expired is not null)
                foreach (var id in expired)
                {
                    _reads.Remove(id, out var read);
                    read!.ReplyTo.Tell(new NotStarted("read not confirmed by a quorum in time"));
                }
        }
        if (_handOvers.Count > 0)
        {
            foreach (var handOver in _handOvers.Where(h => h.DeadlineTick <= _ticks))
                handOver.ReplyTo.Tell(new LeadershipHandedOver(true, _leaderId == _settings.NodeId ? null : _leaderId));
            _handOvers.RemoveAll(h => h.DeadlineTick <= _ticks);
        }
    }

    /// <summary>Nobody waits forever: on a failed write or a stop, every waiting request gets its answer now.</summary>
    private void FailAllWaiters(string reason)
    {
        foreach (var proposal in _proposals.Values) proposal.ReplyTo.Tell(new OutcomeUnknown(reason));
        _proposals.Clear();
        foreach (var read in _reads.Values) read.ReplyTo.Tell(new NotStarted(reason));
        _reads.Clear();
        foreach (var awaiting in _awaitingLeader) awaiting.ReplyTo.Tell(new NotStarted(reason));
        _awaitingLeader.Clear();
        foreach (var handOver in _handOvers) handOver.ReplyTo.Tell(new LeadershipHandedOver(IsLeader, null));
        _handOvers.Clear();
    }
}
