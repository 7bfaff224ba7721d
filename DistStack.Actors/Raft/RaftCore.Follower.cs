namespace DistStack.Actors.Raft;

/// <summary>The follower's step and the election timer shared by followers and (pre-)candidates.</summary>
public sealed partial class RaftCore
{
    private void TickElection()
    {
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
