namespace DistStack.Actors.Raft;

/// <summary>
/// Raft (Ongaro &amp; Ousterhout, extended paper, and Ongaro's dissertation) as a pure state machine: no actors,
/// no tasks, no clock, no I/O and no randomness of its own. Inputs are <see cref="Tick"/>, <see cref="Step"/>,
/// <see cref="Propose"/>, <see cref="ReadIndex"/>, <see cref="TransferLeadership"/> and <see cref="Compact"/>;
/// outputs are collected with <see cref="GetReady"/> and carried out by the shell as <see cref="Ready"/> says,
/// then acknowledged with <see cref="Advance"/>.
///
/// Behaviour by role follows etcd: each role installs its own step and tick functions
/// (RaftCore.Follower.cs, RaftCore.Candidate.cs, RaftCore.Leader.cs); the concerns shared by roles live in
/// RaftCore.Election.cs, .Replication.cs, .ReadIndex.cs, .Snapshot.cs, .Transfer.cs and .Ready.cs.
/// </summary>
public sealed partial class RaftCore
{
    /// <summary>Node ids are positive; 0 means "nobody" (no leader, no vote), as <see cref="HardState.NoVote"/>.</summary>
    private const int None = HardState.NoVote;

    private readonly RaftOptions _options;
    private readonly IRandomSource _random;
    private readonly int _id;
    private readonly RaftLog _log;

    private long _term;
    private int _votedFor;
    private int _leaderId;
    private RaftRole _role;

    private Action<RaftMessage> _step = null!;
    private Action _tick = null!;

    /// <summary>
    /// Follower/candidate: ticks since we last heard from a leader (or granted a vote), against
    /// <see cref="_randomizedElectionTimeout"/>; also the leader lease of §4.2.3. Leader: ticks since the last
    /// check-quorum round.
    /// </summary>
    private int _electionElapsed;

    /// <summary>Ticks since this core started: logical time for timing out reads.</summary>
    private long _now;
    private int _randomizedElectionTimeout;
    private int _heartbeatElapsed;

    private ClusterConfiguration _configuration;

    /// <summary>The configuration recorded in the latest snapshot: in force when the log holds no newer one.</summary>
    private ClusterConfiguration _snapshotConfiguration;

    /// <summary>The latest snapshot this node holds, sent to followers that need compacted entries.</summary>
    private SnapshotData? _snapshot;

    public RaftCore(RaftOptions options, IRandomSource random, RaftDurableState durable)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(durable);
        if (options.NodeId <= 0) throw new ArgumentException("Node ids must be positive.", nameof(options));
        if (options.ElectionTicks <= options.HeartbeatTicks || options.HeartbeatTicks <= 0)
            throw new ArgumentException("Need 0 < HeartbeatTicks < ElectionTicks.", nameof(options));
        if (options.MaxInflightAppends <= 0 || options.MaxEntriesPerAppend <= 0 || options.MaxBytesPerAppend <= 0 ||
            options.SnapshotChunkBytes <= 0)
            throw new ArgumentException("Batch, window and chunk limits must be positive.", nameof(options));

        _options = options;
        _random = random;
        _id = options.NodeId;

        _snapshot = durable.Snapshot;
        _log = new RaftLog(durable.Snapshot?.Metadata, durable.Entries);
        // The bootstrap entry (index 1, term 0) is identical on every founder, hence committed by construction.
        if (_log.MatchTerm(1, 0) && _log.LastIndex >= 1) _log.CommitTo(1);

        _snapshotConfiguration = durable.Snapshot?.Metadata.Configuration ?? ClusterConfiguration.Of();
        _configuration = _log.LatestConfiguration() ?? _snapshotConfiguration;

        _term = durable.HardState.Term;
        _votedFor = durable.HardState.VotedFor;
        _durableHardState = durable.HardState;
        _emittedHardState = durable.HardState;

        BecomeFollower(_term, None);
        _emittedSoftState = CurrentSoftState();
    }

    /// <summary>One unit of logical time: drives election timeouts, heartbeats and check-quorum.</summary>
    public void Tick()
    {
        _now++;
        _tick();
        ExpireReads();
    }

    /// <summary>Feed a message from a peer. Messages of another cluster, or to another node, are dropped.</summary>
    public void Step(RaftMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.ClusterId != _options.ClusterId || message.To != _id || message.From == _id ||
            message.From <= 0 || !IsWellFormed(message))
            return;

        // Read forwarding is not a Raft RPC: it never moves terms, and it must always be answered so that no
        // client read hangs (RaftCore.ReadIndex.cs).
        switch (message)
        {
            case ReadIndexRequest request:
                HandleReadIndexRequest(request);
                return;
            case ReadIndexResponse response:
                HandleReadIndexResponse(response);
                return;
        }

        if (message.Term > _term)
        {
            if (!StepHigherTerm(message)) return;
        }
        else if (message.Term < _term)
        {
            StepLowerTerm(message);
            return;
        }

        // Every role answers vote requests by the same rules (§5.2, §5.4.1, §9.6).
        if (message is RequestVote vote)
        {
            HandleRequestVote(vote);
            return;
        }
        _step(message);
    }

    /// <summary>
    /// A malformed message from the wire is dropped rather than allowed to break the log's invariants (or to
    /// throw inside the node): every term, index and offset must lie in [0, <see cref="MaxWireNumber"/>], so no
    /// arithmetic on it can overflow, and every enum must be one we know. Checked by DistStack.Tests/Core/CoreFuzzTests.
    /// </summary>
    private static bool IsWellFormed(RaftMessage message)
    {
        if (!InRange(message.Term)) return false;
        switch (message)
        {
            case RequestVote vote:
                return InRange(vote.LastLogIndex) && InRange(vote.LastLogTerm);
            case AppendEntries append:
                if (append.Entries is null || !InRange(append.PrevLogIndex) || !InRange(append.PrevLogTerm) ||
                    !InRange(append.LeaderCommit) || !InRange(append.PrevLogIndex + append.Entries.Count))
                    return false;
                for (var i = 0; i < append.Entries.Count; i++)
                {
                    var entry = append.Entries[i];
                    if (entry is null || entry.Data is null || !Enum.IsDefined(entry.Kind) ||
                        entry.Index != append.PrevLogIndex + 1 + i || entry.Term > append.Term ||
                        entry.Term < (i == 0 ? append.PrevLogTerm : append.Entries[i - 1].Term) ||
                        (entry.Kind == EntryKind.Configuration && !ClusterConfiguration.TryDecode(entry.Data, out _)))
                        return false;
                }
                return true;
            case AppendEntriesResponse response:
                return InRange(response.MatchIndex) && InRange(response.ConflictIndex) && InRange(response.ConflictTerm);
            case InstallSnapshot chunk:
                return chunk.Metadata?.Configuration is not null && chunk.Chunk is not null && InRange(chunk.Offset) &&
                       InRange(chunk.Metadata.LastIncludedIndex) && InRange(chunk.Metadata.LastIncludedTerm) &&
                       chunk.Metadata.LastIncludedTerm <= chunk.Term;
            case InstallSnapshotResponse response:
                return InRange(response.LastIncludedIndex) && InRange(response.NextOffset);
            case Heartbeat heartbeat:
                return InRange(heartbeat.Commit) && InRange(heartbeat.ReadContext);
            case HeartbeatResponse response:
                return InRange(response.ReadContext);
            case ReadIndexResponse response:
                return InRange(response.ReadIndex) && (response.Rejected is null || Enum.IsDefined(response.Rejected.Value));
            default:
                return true;
        }
    }

    /// <summary>No real term, index or offset comes near this (2^61): a larger one is a corrupt or hostile message.</summary>
    internal const long MaxWireNumber = long.MaxValue / 4;

    private static bool InRange(long value) => value is >= 0 and <= MaxWireNumber;

    /// <summary>Append a client command on the leader. Followers refuse: the shell forwards to the leader.</summary>
    public ProposeResult Propose(byte[] command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (_role != RaftRole.Leader) return new ProposeResult.NotLeader(LeaderHint);
        if (_transferTarget != None) return new ProposeResult.TransferInProgress(_transferTarget);
        var entry = AppendAsLeader(EntryKind.Command, command);
        return new ProposeResult.Accepted(entry.Index, entry.Term);
    }

    /// <summary>Start an election now (tests and bootstrap of a single node).</summary>
    public void Campaign()
    {
        if (_role == RaftRole.Leader || !IsPromotable) return;
        StartElection(transfer: false);
    }

    public RaftStatus Status
    {
        get
        {
            var match = new Dictionary<int, long>();
            if (_role == RaftRole.Leader)
            {
                // Voters only: the shell picks hand-over targets from these (a learner cannot be elected).
                foreach (var voter in _configuration.Voters)
                    match[voter] = voter == _id ? _log.StableIndex : _progress.GetValueOrDefault(voter)?.Match ?? 0;
            }
            return new RaftStatus(_id, _role, _term, LeaderHint, _log.Committed, _log.Applied, _log.LastIndex,
                _log.SnapshotIndex, _configuration, match)
            {
                OwnStorageRecorded = OwnStorageRecorded,
                MembersWithLostStorage = _role == RaftRole.Leader ? MembersWithLostStorage() : [],
            };
        }
    }

    private int? LeaderHint => _leaderId == None ? null : _leaderId;

    /// <summary>
    /// May campaign: a voter (or still needed as one), whose storage is the one recorded for it. A node whose disk was
    /// lost and that came back blank waits to be removed and added again (RaftCore.StorageIds.cs).
    /// </summary>
    private bool IsPromotable => (_configuration.Contains(_id) || MayStillBeNeededAsVoter()) && OwnStorageRecorded;

    private int Quorum => _configuration.QuorumSize;

    private IEnumerable<int> Peers => _configuration.Voters.Where(v => v != _id);

    private void ResetRandomizedElectionTimeout() =>
        _randomizedElectionTimeout = _options.ElectionTicks + _random.Next(_options.ElectionTicks);

    private bool PastElectionTimeout => _electionElapsed >= _randomizedElectionTimeout;

    /// <summary>Every outgoing message is stamped with our cluster id so strays from another cluster are dropped.</summary>
    private ulong ClusterId => _options.ClusterId;

    /// <summary>Stamped on every vote and acknowledgement (<see cref="IStorageStamped"/>).</summary>
    private ulong StorageId => _options.StorageId;

    /// <summary>Messages that promise nothing about our disk: sent before the Ready's writes.</summary>
    private void Send(RaftMessage message) => _messages.Add(message);

    /// <summary>
    /// Messages that promise durability of what they answer for (a vote, an append or snapshot acknowledgement):
    /// the shell sends them only after this Ready's HardState/Entries/Snapshot are fsync'd.
    /// </summary>
    private void SendAfterDurable(RaftMessage message) => _messagesAfterDurable.Add(message);

    /// <summary>The configuration is data in the log (§4.1): re-read it whenever the log changes shape.</summary>
    private void RefreshConfiguration()
    {
        var configuration = _log.LatestConfiguration() ?? _snapshotConfiguration;
        if (configuration.Equals(_configuration)) return;
        _configuration = configuration;
        if (_role == RaftRole.Leader) SyncProgressWithConfiguration();
    }
}
