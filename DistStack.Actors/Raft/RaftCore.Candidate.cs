namespace DistStack.Actors.Raft;

/// <summary>The step of a candidate and of a pre-candidate (§5.2, §9.6).</summary>
public sealed partial class RaftCore
{
    private void StepCandidate(RaftMessage message)
    {
        switch (message)
        {
            case AppendEntries or Heartbeat or InstallSnapshot:
                // A leader of our term exists (§5.2): it won, we follow it.
                BecomeFollower(_term, message.From);
                _step(message);
                break;
            case RequestVoteResponse response when response.PreVote == (_role == RaftRole.PreCandidate):
                // Granted pre-votes carry the term we would campaign in; rejections carry the voter's term.
                if (response.PreVote && response.Granted && response.Term != _term + 1) return;
                // A vote counts only from the storage the configuration records for the voter: a blank one, whose
                // disk was lost, may have voted already in this term, and its log says nothing of what it acknowledged.
                if (!_configuration.StorageMatches(response.From, response.StorageId)) return;
                RecordVote(response.From, response.Granted);
                TallyVotes();
                break;
        }
    }
}
