using DistStack.Actors.Node;
using DistStack.Actors.Raft;

namespace DistStack.Actors.Observability;

/// <summary>
/// Turns successive observations of one node (its status as of now) into timeline events: role and term
/// changes, a leader lost or learned, a vote, a peer lost or regained, the first commit of a new leader's term.
/// Watching from the outside keeps the Raft core and the actor free of bookkeeping: the node observes itself at
/// every tick (50 ms) and whenever the core reports a new role or leader, so an event is at most a tick late.
/// No clock of its own: the caller says when. Not thread-safe (one caller: the node's actor).
/// </summary>
public sealed class NodeEventDetector
{
    private NodeStatus? _previous;
    private int? _previousVote;
    private long _previousVoteTerm;
    private HashSet<int> _watched = [];
    private readonly HashSet<int> _lost = [];
    private long? _commitAtElection;

    /// <summary>
    /// The events between the previous observation and this one (the first observation yields Started).
    /// <paramref name="votedFor"/> in <paramref name="voteTerm"/>: the durable vote, which may lag the status' term.
    /// </summary>
    public IReadOnlyList<NodeEvent> Observe(NodeStatus now, long voteTerm, int? votedFor, long atMs)
    {
        var events = new List<NodeEvent>();
        var previous = _previous;
        _previous = now;
        NodeEvent Event(NodeEventKind kind) => new(0, atMs, now.NodeId, kind, now.Term);

        if (previous is null)
        {
            events.Add(Event(NodeEventKind.Started) with { Role = RoleName(now.Role), LeaderId = now.LeaderId });
            // A node that learned its leader before it first observed itself has still learned of a leader.
            if (now.LeaderId is { } known) events.Add(Event(NodeEventKind.LeaderKnown) with { LeaderId = known });
            _previousVote = votedFor;
            _previousVoteTerm = voteTerm;
            _watched = Watched(now);
            return events;
        }

        if (now.Role != previous.Role)
            events.Add(Event(NodeEventKind.RoleChanged) with { Role = RoleName(now.Role), LeaderId = now.LeaderId });

        if (previous.LeaderId is { } oldLeader && now.LeaderId != oldLeader)
        {
            // When did this node last hear the leader it lost? The best estimate of when that leader failed.
            var heardMsAgo = oldLeader == now.NodeId ? null : now.Members.FirstOrDefault(m => m.Id == oldLeader)?.LastHeardMs;
            if (now.LeaderId is null)
                events.Add(Event(NodeEventKind.LeaderLost) with { LeaderId = oldLeader, LastHeardAtMs = atMs - heardMsAgo });
        }
        if (now.LeaderId is { } leader && (leader != previous.LeaderId || now.Term != previous.Term))
            events.Add(Event(NodeEventKind.LeaderKnown) with { LeaderId = leader });

        if (votedFor is { } candidate && candidate != now.NodeId && (candidate != _previousVote || voteTerm != _previousVoteTerm))
            events.Add(Event(NodeEventKind.Voted) with { PeerId = candidate, Term = voteTerm });
        _previousVote = votedFor;
        _previousVoteTerm = voteTerm;

        if (now.Role == RaftRole.Leader && (previous.Role != RaftRole.Leader || previous.Term != now.Term))
            _commitAtElection = now.CommitIndex;
        else if (now.Role != RaftRole.Leader)
            _commitAtElection = null;
        if (_commitAtElection is { } atElection && now.CommitIndex > atElection)
        {
            events.Add(Event(NodeEventKind.FirstCommitInTerm) with { Index = now.CommitIndex });
            _commitAtElection = null;
        }

        var watched = Watched(now);
        foreach (var peer in watched)
        {
            // Only a peer watched in the same capacity before: a new leader's "unreachable" followers are just unheard yet.
            if (!_watched.Contains(peer) || now.Role != previous.Role) continue;
            var was = previous.Members.FirstOrDefault(m => m.Id == peer)?.Reachable;
            var isNow = now.Members.FirstOrDefault(m => m.Id == peer)?.Reachable;
            if (was == true && isNow == false && _lost.Add(peer))
                events.Add(Event(NodeEventKind.PeerLost) with { PeerId = peer });
            // Regained only after a loss: a new leader first hearing its followers is not news.
            else if (was == false && isNow == true && _lost.Remove(peer))
                events.Add(Event(NodeEventKind.PeerRegained) with { PeerId = peer });
        }
        if (now.Role != previous.Role) _lost.Clear();
        _lost.IntersectWith(watched);
        _watched = watched;
        return events;
    }

    /// <summary>The peers whose reachability this node can judge: a leader hears every follower; a follower only its leader.</summary>
    private static HashSet<int> Watched(NodeStatus status) =>
        status.Role == RaftRole.Leader
            ? [.. status.Members.Where(m => m.Id != status.NodeId).Select(m => m.Id)]
            : status.LeaderId is { } leader && leader != status.NodeId ? [leader] : [];

    public static string RoleName(RaftRole role) => role switch
    {
        RaftRole.Leader => "leader",
        RaftRole.Follower => "follower",
        RaftRole.Candidate => "candidate",
        RaftRole.PreCandidate => "precandidate",
        _ => role.ToString().ToLowerInvariant(),
    };
}
