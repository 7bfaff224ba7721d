namespace DistStack.Actors.Raft;

/// <summary>The follower's step and the election timer shared by followers and (pre-)candidates.</summary>
public sealed partial class RaftCore
{
    private void TickElection()
    {
        // A candidate counts its own vote only once it is durable, so until then it cannot win, and a new election
        // would only queue another vote write behind the slow one: with writes in flight (Ready.cs) time goes on
        // during an fsync, and a disk slower than the election timeout would then never elect anyone. Wait for it.
        if (_role == RaftRole.Candidate && !OwnVoteDurable) return;
        _electionElapsed++;
        if (IsPromotable && PastElectionTimeout) StartElection(transfer: false);
    }

    private void StepFollower(RaftMessage message)
    {
        switch (message)
        {
            case AppendEntries append:
                HeardFromLeader(append.From);
                HandleAppendEntries(append);
                break;
            case Heartbeat heartbeat:
                HeardFromLeader(heartbeat.From);
                HandleHeartbeat(heartbeat);
                break;
            case InstallSnapshot chunk:
                HeardFromLeader(chunk.From);
                HandleInstallSnapshot(chunk);
                break;
            case TimeoutNow:
                // §3.10: the leader hands over to us; campaign at once, past pre-vote and others' leases.
                if (IsPromotable) StartElection(transfer: true);
                break;
        }
    }

    private void HeardFromLeader(int leader)
    {
        _electionElapsed = 0;
        if (_leaderId != leader) SetLeader(leader);
    }
}
