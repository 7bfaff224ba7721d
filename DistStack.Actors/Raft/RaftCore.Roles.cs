namespace DistStack.Actors.Raft;

/// <summary>Role changes. Each role installs its own step and tick functions (as etcd does).</summary>
public sealed partial class RaftCore
{
    /// <summary>What every role change does: a term change clears the vote; timers and elections start over.</summary>
    private void Reset(long term)
    {
        if (_role == RaftRole.Leader) LeaveLeadership();
        if (term != _term)
        {
            _term = term;
            _votedFor = None;
        }
        _leaderId = None;
        _electionElapsed = 0;
        _heartbeatElapsed = 0;
        ResetRandomizedElectionTimeout();
        _votes.Clear();
        _transferTarget = None;
    }

    private void BecomeFollower(long term, int leader)
    {
        Reset(term);
        _role = RaftRole.Follower;
        _step = StepFollower;
        _tick = TickElection;
        SetLeader(leader);
    }

    private void BecomePreCandidate()
    {
        // The term does not move (§9.6): we only ask whether we could win term + 1.
        Reset(_term);
        _role = RaftRole.PreCandidate;
        _step = StepCandidate;
        _tick = TickElection;
        RejectStaleForwardedReads();
        RecordVote(_id, true);
        RequestVotes(preVote: true, transfer: false);
        TallyVotes();
    }

    private void BecomeCandidate(bool transfer)
    {
        Reset(_term + 1);
        _votedFor = _id;
        _role = RaftRole.Candidate;
        _step = StepCandidate;
        _tick = TickElection;
        RejectStaleForwardedReads();
        // Vote requests promise nothing about our disk, so they leave at once; our own vote waits for the
        // durable HardState (CountOwnVoteIfDurable at Advance).
        RequestVotes(preVote: false, transfer);
        CountOwnVoteIfDurable();
    }

    private void BecomeLeader()
    {
        Reset(_term);
        _role = RaftRole.Leader;
        _step = StepLeader;
        _tick = TickLeader;
        SetLeader(_id);
        _progress.Clear();
        SyncProgressWithConfiguration();
        _readRound = 0;
        _confirmedRound = 0;
        _ledSince = _now;
        // §5.4.2 / §6.4: commit an entry of our own term at once; earlier entries commit with it, and reads
        // can be served after it.
        AppendAsLeader(EntryKind.NoOp, []);
    }

    private void SetLeader(int leader)
    {
        _leaderId = leader;
        RejectStaleForwardedReads();
    }

    private SoftState CurrentSoftState() => new(_role, _term, LeaderHint);
}
