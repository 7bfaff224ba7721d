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

    /// <summary>Readies handed out and not yet advanced, oldest first (Advance takes them in this order).</summary>
    private readonly Queue<Ready> _outstanding = new();

    /// <summary>A Ready that installs the leader's snapshot is outstanding: nothing else is handed out meanwhile.</summary>
    private bool _snapshotOutstanding;

    private bool HardStateChanged => _term != _emittedHardState.Term || _votedFor != _emittedHardState.VotedFor;

    private bool SoftStateChanged =>
        _role != _emittedSoftState.Role || _term != _emittedSoftState.Term || LeaderHint != _emittedSoftState.LeaderId;

    /// <summary>
    /// Cheap: only counters and flags. Several Readies may be outstanding, except around a leader's snapshot: it is
    /// handed out only once every earlier Ready is advanced, and nothing follows it until it is.
    /// </summary>
    public bool HasReady() =>
        !_snapshotOutstanding &&
        (_pendingSnapshot is not null
            ? _outstanding.Count == 0
            : _messages.Count > 0 || _messagesAfterDurable.Count > 0 || _readStates.Count > 0 || ReadRoundWanted || ForwardReadsWanted ||
              _log.HasEntriesToWrite || _log.HasEntriesToApply || HardStateChanged || SoftStateChanged);

    /// <summary>How many Readies are handed out and not yet advanced.</summary>
    public int OutstandingReadies => _outstanding.Count;

    /// <summary>The next Ready will carry a snapshot from the leader to install.</summary>
    public bool HasPendingSnapshot => _pendingSnapshot is not null;

    public Ready GetReady()
    {
        if (_snapshotOutstanding)
            throw new InvalidOperationException("A Ready installing a snapshot is outstanding: advance it before taking the next.");
        if (_pendingSnapshot is not null && _outstanding.Count > 0)
            throw new InvalidOperationException("A snapshot is to be installed: advance every outstanding Ready first.");
        StartReadRoundIfWanted();
        ForwardReadsIfWanted();

        var ready = new Ready(
            SoftState: SoftStateChanged ? CurrentSoftState() : null,
            HardState: HardStateChanged ? new HardState(_term, _votedFor) : null,
            Snapshot: _pendingSnapshot,
            // If a conflict truncated written entries, these start at or before the last index written.
            Entries: _log.TakeEntriesToWrite(),
            Messages: _messages.ToArray(),
            MessagesAfterDurable: _messagesAfterDurable.ToArray(),
            // Only entries already durable here (StableIndex), never ones this very Ready is writing.
            CommittedEntries: _log.TakeEntriesToApply(),
            ReadStates: _readStates.ToArray());

        if (ready.SoftState is not null) _emittedSoftState = ready.SoftState;
        if (ready.HardState is not null) _emittedHardState = ready.HardState;
        _pendingSnapshot = null;
        _messages.Clear();
        _messagesAfterDurable.Clear();
        _readStates.Clear();
        _outstanding.Enqueue(ready);
        _snapshotOutstanding = ready.Snapshot is not null;
        return ready;
    }

    /// <summary>
    /// The shell carried out <paramref name="ready"/> (persisted, sent, applied): the oldest outstanding Ready, since
    /// writes become durable in the order they were handed out.
    /// </summary>
    public void Advance(Ready ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (_outstanding.Count == 0 || !ReferenceEquals(ready, _outstanding.Peek()))
            throw new InvalidOperationException("Advance must be given the oldest outstanding Ready.");
        _outstanding.Dequeue();
        if (ready.Snapshot is not null) _snapshotOutstanding = false;

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
