namespace DistStack.Actors.Raft;

/// <summary>Terms and votes (§5.1, §5.2, §5.4.1), pre-vote (§9.6) and the leader lease on votes (§4.2.3).</summary>
public sealed partial class RaftCore
{
    /// <summary>Votes received in the current (pre-)election: voter id to granted.</summary>
    private readonly Dictionary<int, bool> _votes = [];

    /// <summary>
    /// We heard from a leader less than a minimum election timeout ago (or we are that leader): a vote request
    /// now can only come from a node that would disrupt a working leader, so it is ignored (§4.2.3).
    /// Only with check-quorum (as etcd): that is what makes a cut-off leader step down, ending its lease on its
    /// own side too. Without it a node whose term ran ahead would be ignored forever (nobody else would ever tell
    /// the leader about the newer term).
    /// </summary>
    private bool InLease =>
        _options.CheckQuorum && _leaderId != None &&
        (_role == RaftRole.Leader || _electionElapsed < _options.ElectionTicks);

    /// <summary>A message of a newer term. Returns whether the message should still be processed.</summary>
    private bool StepHigherTerm(RaftMessage message)
    {
        switch (message)
        {
            case RequestVote vote:
                // Not even our term moves: a node that heard from its leader recently does not let a stray
                // candidate depose it. A transfer's campaign was asked for by the leader, so it goes through.
                if (!vote.LeadershipTransfer && InLease) return false;
                // A pre-vote carries the term the sender would campaign in; it changes nothing here (§9.6).
                if (vote.PreVote) return true;
                BecomeFollower(message.Term, None);
                return true;
            case RequestVoteResponse { PreVote: true, Granted: true }:
                // Granted pre-votes carry the term we asked about (ours + 1); we move to it only if we win.
                return true;
            default:
                // §5.1: a newer term always wins. If it comes from a leader, that is who leads now.
                var leader = message is AppendEntries or Heartbeat or InstallSnapshot ? message.From : None;
                BecomeFollower(message.Term, leader);
                return true;
        }
    }

    /// <summary>A message of an older term: stale, except that its sender must learn the newer term.</summary>
    private void StepLowerTerm(RaftMessage message)
    {
        switch (message)
        {
            case AppendEntries or Heartbeat or InstallSnapshot when _options.CheckQuorum || _options.PreVote:
                // With pre-vote and check-quorum, a leader cut off and then reconnected may never meet a higher
                // term on its own (our pre-votes don't raise terms, and its lease hides others' votes). Tell it.
                // After the durable write: the answer reports our term.
                SendAfterDurable(new AppendEntriesResponse(ClusterId, _id, message.From, _term, false, 0, 0, 0) { StorageId = StorageId });
                break;
            case RequestVote { PreVote: true }:
                // Let the pre-candidate learn our term, so it stops asking with a hopeless one.
                Send(new RequestVoteResponse(ClusterId, _id, message.From, _term, PreVote: true, Granted: false) { StorageId = StorageId });
                break;
        }
    }

    /// <summary>
    /// Grants at most one vote per term (§5.2), only to a candidate whose log is at least as up-to-date as ours
    /// (§5.4.1). A pre-vote is granted by the same log rule for any future term, without recording anything.
    /// </summary>
    private void HandleRequestVote(RequestVote request)
    {
        var canVote = _votedFor == request.From ||
                      (_votedFor == None && _leaderId == None) ||
                      (request.PreVote && request.Term > _term);
        var upToDate = request.LastLogTerm > _log.LastTerm ||
                       (request.LastLogTerm == _log.LastTerm && request.LastLogIndex >= _log.LastIndex);
        var grant = canVote && upToDate;

        if (request.PreVote)
        {
            // Nothing was recorded, so nothing needs to be durable first.
            var term = grant ? request.Term : _term;
            Send(new RequestVoteResponse(ClusterId, _id, request.From, term, PreVote: true, grant) { StorageId = StorageId });
            return;
        }

        if (grant)
        {
            _votedFor = request.From;
            // Granting a vote resets our election timer: the candidate gets its chance before we compete.
            _electionElapsed = 0;
        }
        // PERSISTENCE: a vote is a promise for the whole term; it must survive a crash before the candidate
        // can count it (Figure 2: respond after updating stable storage). The HardState goes in the same Ready.
        SendAfterDurable(new RequestVoteResponse(ClusterId, _id, request.From, _term, PreVote: false, grant) { StorageId = StorageId });
    }

    /// <summary>
    /// Starts a (pre-)election. A transfer's campaign skips pre-vote: the leader asked for it (§3.10).
    /// </summary>
    private void StartElection(bool transfer)
    {
        if (_options.PreVote && !transfer) BecomePreCandidate();
        else BecomeCandidate(transfer);
    }

    private void RequestVotes(bool preVote, bool transfer)
    {
        var term = preVote ? _term + 1 : _term;
        foreach (var peer in Peers)
            Send(new RequestVote(ClusterId, _id, peer, term, preVote, _log.LastIndex, _log.LastTerm, transfer));
    }

    private void RecordVote(int voter, bool granted)
    {
        // Our own vote is recorded even when we are not a voter of our latest configuration (RaftCore.Membership.cs):
        // it marks our vote durable; only voters are counted.
        if (!_configuration.Contains(voter) && voter != _id) return;
        _votes.TryAdd(voter, granted);
    }

    /// <summary>Counts the votes of the configuration's voters and moves on once the outcome is certain.</summary>
    private void TallyVotes()
    {
        var granted = _votes.Count(v => v.Value && _configuration.Contains(v.Key) && (v.Key != _id || OwnStorageRecorded));
        var rejected = _votes.Count(v => !v.Value && _configuration.Contains(v.Key));
        if (granted >= Quorum)
        {
            if (_role == RaftRole.PreCandidate) BecomeCandidate(transfer: false);
            // PERSISTENCE: even when others alone make a quorum, lead only once our own term and vote are
            // durable (our vote is recorded only then). Otherwise a crash could bring us back in the same term
            // with the same voters and a different log: two different entries with one (index, term).
            else if (_role == RaftRole.Candidate && _votes.GetValueOrDefault(_id)) BecomeLeader();
        }
        else if (rejected > _configuration.Voters.Length - Quorum)
        {
            BecomeFollower(_term, None);
        }
    }

    /// <summary>
    /// PERSISTENCE: the candidate's vote for itself counts only once durable (checked at Advance). Counting it
    /// earlier would let a crash-and-restart vote again in the same term and elect two leaders.
    /// </summary>
    private bool OwnVoteDurable => _durableHardState.Term == _term && _durableHardState.VotedFor == _id;

    private void CountOwnVoteIfDurable()
    {
        if (_role == RaftRole.Candidate && OwnVoteDurable)
        {
            RecordVote(_id, true);
            TallyVotes();
        }
    }
}
