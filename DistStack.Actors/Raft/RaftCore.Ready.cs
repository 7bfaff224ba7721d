namespace DistStack.Actors.Raft;

/// <summary>Collecting outputs (GetReady) and learning what the shell made durable and applied (Advance).</summary>
public sealed partial class RaftCore
{
    private readonly List<RaftMessage> _messages = [];
    private readonly List<RaftMessage> _messagesAfterDurable = [];

    /// <summary>The HardState the shell has made durable (acknowledged by Advance).</summary>
    private HardState _durableHardState;

    /// <summary>The HardState last handed out in a Ready (durable or in flight).</summary>
    private HardState _emittedHardState;

    private SoftState _emittedSoftState;

    /// <summary>The Ready handed out and not yet advanced: there is at most one.</summary>
    private Ready? _outstanding;

    private bool HardStateChanged => _term != _emittedHardState.Term || _votedFor != _emittedHardState.VotedFor;

    private bool SoftStateChanged =>
        _role != _emittedSoftState.Role || _term != _emittedSoftState.Term || LeaderHint != _emittedSoftState.LeaderId;

    /// <summary>Cheap: only counters and flags. False while a Ready is outstanding (one at a time).</summary>
    public bool HasReady() =>
        _outstanding is null &&
        (_messages.Count > 0 || _messagesAfterDurable.Count > 0 || _readStates.Count > 0 || ReadRoundWanted ||
         _pendingSnapshot is not null || _log.HasUnstable || _log.HasEntriesToApply ||
         HardStateChanged || SoftStateChanged);

    /// <summary>The next Ready will carry a snapshot from the leader to install.</summary>
    public bool HasPendingSnapshot => _pendingSnapshot is not null;

    public Ready GetReady()
    {
        if (_outstanding is not null)
            throw new InvalidOperationException("A Ready is outstanding: call Advance with it before taking the next.");
        StartReadRoundIfWanted();

        var ready = new Ready(
            SoftState: SoftStateChanged ? CurrentSoftState() : null,
            HardState: HardStateChanged ? new HardState(_term, _votedFor) : null,
            Snapshot: _pendingSnapshot,
            // If a conflict truncated persisted entries, these start at or before the last persisted index.
            Entries: _log.UnstableEntries,
            Messages: _messages.ToArray(),
            MessagesAfterDurable: _messagesAfterDurable.ToArray(),
            // Only entries already durable here (StableIndex), never ones this very Ready is writing.
            CommittedEntries: _log.EntriesToApply,
            ReadStates: _readStates.ToArray());

        if (ready.SoftState is not null) _emittedSoftState = ready.SoftState;
        if (ready.HardState is not null) _emittedHardState = ready.HardState;
        _pendingSnapshot = null;
        _messages.Clear();
        _messagesAfterDurable.Clear();
        _readStates.Clear();
        _outstanding = ready;
        return ready;
    }

    /// <summary>The shell carried out <paramref name="ready"/> (persisted, sent, applied).</summary>
    public void Advance(Ready ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (!ReferenceEquals(ready, _outstanding))
            throw new InvalidOperationException("Advance must be given the Ready last returned by GetReady.");
        _outstanding = null;

        if (ready.HardState is not null) _durableHardState = ready.HardState;
        if (ready.Snapshot is not null) _log.AppliedTo(ready.Snapshot.Metadata.LastIncludedIndex);
        _log.StableTo(ready.Entries);
        if (ready.CommittedEntries.Count > 0) _log.AppliedTo(ready.CommittedEntries[^1].Index);

        switch (_role)
        {
            case RaftRole.Leader:
                // Our own copy just became durable: it may complete a quorum.
                if (MaybeCommit()) BroadcastAppend(sendIfEmpty: true);
                break;
            case RaftRole.Candidate:
                CountOwnVoteIfDurable();
                break;
        }
    }
}
