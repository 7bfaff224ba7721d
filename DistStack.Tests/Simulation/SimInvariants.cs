using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

/// <summary>
/// Raft's safety properties, checked incrementally after every step (no per-step scans of whole logs):
/// election safety, log matching, leader completeness, state machine safety, no committed entry ever lost
/// (also across crashes), linearizable ReadIndex, and the persistence promises of the Ready contract.
/// </summary>
internal sealed class SimInvariants
{
    private readonly SimCluster _cluster;

    /// <summary>Every (index, term) ever put in any log: its entry and the term of its predecessor (log matching).</summary>
    private readonly Dictionary<(long Index, long Term), (LogEntry Entry, long PreviousTerm)> _entries = [];

    /// <summary>The one committed history: entry i at [i - 1].</summary>
    private readonly List<LogEntry> _committed = [];

    /// <summary>[i] = how many commands the committed history holds up to index i.</summary>
    private readonly List<int> _commandsUpTo = [0];

    /// <summary>A term at which each committed entry was first seen committed (never below the term it was committed in).</summary>
    private readonly List<long> _committedSeenInTerm = [];

    private readonly Dictionary<long, int> _leaderOfTerm = [];

    /// <summary>Where each accepted proposal was appended: (index, term) to command id.</summary>
    private readonly Dictionary<(long Index, long Term), long> _accepted = [];

    /// <summary>Every command in the committed history, to catch one applied twice.</summary>
    private readonly HashSet<long> _committedCommands = [];

    public SimInvariants(SimCluster cluster, LogEntry bootstrapEntry, ClusterConfiguration founders)
    {
        _cluster = cluster;
        CommittedConfiguration = founders;
        _entries[(bootstrapEntry.Index, bootstrapEntry.Term)] = (bootstrapEntry, 0);
        _committed.Add(bootstrapEntry);
        _commandsUpTo.Add(0);
        _committedSeenInTerm.Add(0);
    }

    public long CommittedCount => _committed.Count;

    /// <summary>The latest configuration in the committed history.</summary>
    public ClusterConfiguration CommittedConfiguration { get; private set; }
    public long MaxAppliedIndex { get; private set; }
    public int LeadersElected => _leaderOfTerm.Count;
    public long HighestTerm => _leaderOfTerm.Count == 0 ? 0 : _leaderOfTerm.Keys.Max();
    public LogEntry CommittedAt(long index) => _committed[(int)index - 1];
    public IReadOnlyDictionary<long, int> LeaderOfTerm => _leaderOfTerm;

    private Exception Fail(string reason) => _cluster.Fail(reason);

    private static bool Same(LogEntry a, LogEntry b) =>
        ReferenceEquals(a, b) ||
        (a.Index == b.Index && a.Term == b.Term && a.Kind == b.Kind && a.Data.AsSpan().SequenceEqual(b.Data));

    private bool IsCommitted(LogEntry e) => e.Index <= _committed.Count && _committed[(int)e.Index - 1].Term == e.Term;

    // ------------------------------------------------------------ persistence and log shape

    /// <summary>Terms never go back, and a vote once cast in a term never changes (in memory and on disk).</summary>
    public void CheckHardStateChange(SimNode node, HardState before, HardState after, string where)
    {
        if (after.Term < before.Term)
            throw Fail($"n{node.Id}: term went back from {before.Term} to {after.Term} ({where})");
        if (after.Term == before.Term && before.VotedFor != HardState.NoVote && after.VotedFor != before.VotedFor)
            throw Fail($"n{node.Id}: vote in term {after.Term} changed from n{before.VotedFor} to n{after.VotedFor} ({where})");
    }

    /// <summary>
    /// Entries must connect to the log they replace a suffix of, be contiguous with non-decreasing terms, never
    /// truncate a committed entry, and (for a leader that stays leader) never truncate anything.
    /// </summary>
    public void CheckEntries(SimNode node, SimLog log, IReadOnlyList<LogEntry> entries, bool leaderAppendOnly, string where)
    {
        var first = entries[0].Index;
        if (first <= log.SnapshotIndex)
            throw Fail($"n{node.Id}: entries {first}..{entries[^1].Index} start inside the snapshot (up to {log.SnapshotIndex}) ({where})");
        if (first > log.LastIndex + 1)
            throw Fail($"n{node.Id}: entries start at {first} but the log ends at {log.LastIndex}: a gap ({where})");
        var previousTerm = log.TermAt(first - 1);
        for (var k = 0; k < entries.Count; k++)
        {
            var e = entries[k];
            if (e.Index != first + k) throw Fail($"n{node.Id}: entries not contiguous at {e.Index} ({where})");
            if (e.Term < previousTerm) throw Fail($"n{node.Id}: log term goes down at {e.Index}: {previousTerm} then {e.Term} ({where})");
            previousTerm = e.Term;
        }
        for (var i = first; i <= log.LastIndex; i++)
        {
            var old = log.EntryAt(i)!;
            var k = i - first;
            if (k < entries.Count && entries[(int)k].Term == old.Term) continue; // rewritten identically
            if (leaderAppendOnly)
                throw Fail($"n{node.Id}: leader of term {node.LastSoftState?.Term} truncated its own log at {i} (entry {old.Index}/{old.Term}) ({where})");
            if (IsCommitted(old))
                throw Fail($"NO COMMITTED ENTRY LOST: n{node.Id} truncated committed entry {old.Index}/{old.Term} ({where})");
        }
    }

    /// <summary>Log matching: one (index, term) is one entry, and it always follows the same term.</summary>
    public void RegisterEntries(SimNode node, SimLog log, IReadOnlyList<LogEntry> entries)
    {
        var previousTerm = log.TermAt(entries[0].Index - 1);
        foreach (var e in entries)
        {
            if (_entries.TryGetValue((e.Index, e.Term), out var known))
            {
                if (!Same(known.Entry, e))
                    throw Fail($"LOG MATCHING: n{node.Id} holds a different entry at {e.Index}/{e.Term} ({e.Kind}, {e.Data.Length} bytes) than seen before ({known.Entry.Kind}, {known.Entry.Data.Length} bytes)");
                if (known.PreviousTerm != previousTerm)
                    throw Fail($"LOG MATCHING: at {e.Index}/{e.Term} n{node.Id}'s previous entry has term {previousTerm}, elsewhere {known.PreviousTerm}");
            }
            else
            {
                _entries[(e.Index, e.Term)] = (e, previousTerm);
            }
            previousTerm = e.Term;
        }
    }

    /// <summary>A snapshot install may drop uncommitted entries, never committed ones past the snapshot.</summary>
    public void CheckDiscard(SimNode node, LogEntry discarded, long snapshotIndex, string where)
    {
        if (discarded.Index > snapshotIndex && IsCommitted(discarded))
            throw Fail($"NO COMMITTED ENTRY LOST: n{node.Id} dropped committed entry {discarded.Index}/{discarded.Term} installing a snapshot at {snapshotIndex} ({where})");
    }

    /// <summary>A snapshot from the leader covers a committed prefix and never moves the state machine back.</summary>
    public void CheckIncomingSnapshot(SimNode node, SnapshotData snapshot)
    {
        var at = snapshot.Metadata.LastIncludedIndex;
        if (at > _committed.Count)
            throw Fail($"n{node.Id} received a snapshot at {at}, beyond the committed history ({_committed.Count})");
        if (_committed[(int)at - 1].Term != snapshot.Metadata.LastIncludedTerm)
            throw Fail($"n{node.Id} received a snapshot at {at}/{snapshot.Metadata.LastIncludedTerm}, but committed {at} has term {_committed[(int)at - 1].Term}");
        if (at < node.Machine.AppliedIndex)
            throw Fail($"n{node.Id} received a snapshot at {at} although it already applied up to {node.Machine.AppliedIndex}");
    }

    public void CheckSnapshotRestore(SimNode node, SnapshotData snapshot)
    {
        if (snapshot.Metadata.LastIncludedIndex < node.Machine.AppliedIndex)
            throw Fail($"n{node.Id} restores a snapshot at {snapshot.Metadata.LastIncludedIndex} over state applied up to {node.Machine.AppliedIndex}");
        CheckSnapshotContent(node, snapshot);
    }

    /// <summary>A snapshot's data is exactly the commands of the committed history up to its index.</summary>
    public void CheckSnapshotContent(SimNode node, SnapshotData snapshot)
    {
        var at = snapshot.Metadata.LastIncludedIndex;
        if (at > _committed.Count) throw Fail($"n{node.Id}: snapshot at {at} beyond the committed history ({_committed.Count})");
        var commands = SimStateMachine.DecodeSnapshot(snapshot.Data);
        if (commands.Length != _commandsUpTo[(int)at])
            throw Fail($"STATE MACHINE SAFETY: n{node.Id}'s snapshot at {at} holds {commands.Length} commands; the history has {_commandsUpTo[(int)at]}");
        var k = 0;
        var seen = new HashSet<long>();
        for (var i = 0; i < at; i++)
        {
            var e = _committed[i];
            if (e.Kind != EntryKind.Command) continue;
            var (id, fromClient) = SimStateMachine.DecodeAny(e.Data);
            if (!seen.Add(id) && fromClient) continue; // a client command's later copy applies nothing
            if (id != commands[k])
                throw Fail($"STATE MACHINE SAFETY: n{node.Id}'s snapshot at {at} differs from the history at command {k} (index {e.Index})");
            k++;
        }
    }

    /// <summary>
    /// Nothing that promises durability leaves before the write it promises: a granted vote needs the vote on
    /// disk, an append acknowledgement the acknowledged entries, a finished snapshot the snapshot.
    /// </summary>
    public void CheckPromise(SimNode node, RaftMessage message, bool afterDurable)
    {
        if (_cluster.Settings.Fault != ShellFault.None) return; // the self-tests want to see the deeper invariants fail
        var disk = node.Disk;
        var where = afterDurable ? "after its write" : "before its write was durable";
        switch (message)
        {
            case RequestVoteResponse { Granted: true, PreVote: false } vote:
                if (disk.HardState.Term < vote.Term || (disk.HardState.Term == vote.Term && disk.HardState.VotedFor != vote.To))
                    throw Fail($"PERSISTENCE: n{node.Id} granted its vote in term {vote.Term} to n{vote.To} {where}, but its disk says term {disk.HardState.Term} vote {disk.HardState.VotedFor}");
                break;
            case AppendEntriesResponse { Success: true } ack:
            {
                // The leader of ack.Term will read "I hold your entries up to MatchIndex": the disk must hold an
                // entry there that this leader could have sent (of a term not above its own, and in its log).
                var diskTerm = disk.Log.TermAt(ack.MatchIndex);
                var covered = ack.MatchIndex <= disk.Log.SnapshotIndex;
                if (!covered && (diskTerm < 0 || diskTerm > ack.Term))
                    throw Fail($"PERSISTENCE: n{node.Id} told the leader of term {ack.Term} it holds entries up to {ack.MatchIndex} {where}, but its disk log ends at {disk.Log.LastIndex} (term {diskTerm} there)");
                if (!covered && _leaderOfTerm.TryGetValue(ack.Term, out var leaderId) && _cluster.Node(leaderId) is { IsUp: true } leader &&
                    leader.DurableLeaderTerm == ack.Term && !leader.MemLog.Holds(ack.MatchIndex, diskTerm))
                    throw Fail($"PERSISTENCE: n{node.Id} told leader n{leaderId} of term {ack.Term} it holds its entries up to {ack.MatchIndex} {where}, but its disk has {ack.MatchIndex}/{diskTerm} there");
                break;
            }
            case InstallSnapshotResponse { Done: true } snap:
                if (disk.Log.LastIndex < snap.LastIncludedIndex)
                    throw Fail($"PERSISTENCE: n{node.Id} acknowledged a snapshot at {snap.LastIncludedIndex} {where}, but its disk ends at {disk.Log.LastIndex}");
                break;
        }
    }

    // ------------------------------------------------------------ commitment and application

    /// <summary>
    /// Adds an entry known to be committed to the one history, or checks it against it. A new committed entry
    /// must be durable on a quorum (so no crash can lose it) and be in the log of every leader of a later term.
    /// </summary>
    private void RecordCommitted(SimNode node, LogEntry entry, long seenInTerm)
    {
        if (entry.Index <= _committed.Count)
        {
            var known = _committed[(int)entry.Index - 1];
            if (!Same(known, entry))
                throw Fail($"STATE MACHINE SAFETY: n{node.Id} commits {entry.Index}/{entry.Term} ({entry.Kind}) but {known.Index}/{known.Term} ({known.Kind}) was committed there");
            return;
        }
        if (entry.Index != _committed.Count + 1)
            throw Fail($"n{node.Id} commits {entry.Index} while the known committed history ends at {_committed.Count}");
        var applies = 0;
        if (entry.Kind == EntryKind.Command)
        {
            var (command, fromClient) = SimStateMachine.DecodeAny(entry.Data);
            var first = _committedCommands.Add(command);
            // A client's command may be committed more than once (re-sent copies); it applies only the first time.
            if (!first && !fromClient)
                throw Fail($"STATE MACHINE SAFETY: command {command} committed twice (again at {entry.Index}/{entry.Term})");
            if (_accepted.TryGetValue((entry.Index, entry.Term), out var proposed) && proposed != command)
                throw Fail($"PROPOSAL: {entry.Index}/{entry.Term} was promised to command {proposed} but holds command {command}");
            applies = first ? 1 : 0;
        }
        _committed.Add(entry);
        _commandsUpTo.Add(_commandsUpTo[^1] + applies);
        _committedSeenInTerm.Add(seenInTerm);
        if (entry.Kind == EntryKind.Configuration) CommittedConfiguration = ClusterConfiguration.Decode(entry.Data);

        // Durable on a quorum of the voters that committed it: those of the committed history there, or (a later
        // change may already be in force, single-server changes overlap) those of the node that saw it committed.
        var holders = HoldersAmongVoters(entry, CommittedConfiguration);
        if (holders < CommittedConfiguration.QuorumSize &&
            !(node.Core?.Status.Configuration is { } seenIn && HoldersAmongVoters(entry, seenIn) >= seenIn.QuorumSize))
            throw Fail($"NO COMMITTED ENTRY LOST: {entry.Index}/{entry.Term} is committed (seen by n{node.Id}) but durable on only {holders} of the {CommittedConfiguration.Voters.Length} voters' disks ({CommittedConfiguration})");

        foreach (var leader in _cluster.Nodes)
            if (leader.IsUp && leader.DurableLeaderTerm > seenInTerm && !leader.MemLog.Holds(entry.Index, entry.Term))
                throw Fail($"LEADER COMPLETENESS: {entry.Index}/{entry.Term} committed in term <= {seenInTerm} is missing from leader n{leader.Id} of term {leader.DurableLeaderTerm}");
    }

    /// <summary>
    /// Only the storage the configuration records for a voter counts: a wiped and refilled disk is not it. A recorded
    /// storage that was lost holds what it held when lost (its acknowledgements sent before count, none after).
    /// </summary>
    private int HoldersAmongVoters(LogEntry entry, ClusterConfiguration configuration) =>
        configuration.Voters.Count(v => v <= _cluster.Nodes.Count && RecordedStorageLog(_cluster.Node(v), configuration) is { } log &&
                                        log.Holds(entry.Index, entry.Term));

    private static SimLog? RecordedStorageLog(SimNode node, ClusterConfiguration configuration)
    {
        if (configuration.StorageMatches(node.Id, node.Disk.StorageId)) return node.Disk.Log;
        return node.LostStorages.GetValueOrDefault(configuration.StorageIds[node.Id]);
    }

    /// <summary>
    /// Nothing is applied that is not durable here: the loop applies a Ready's committed entries while its own write
    /// is in flight, which is safe only because the core hands out entries this node had already made durable.
    /// </summary>
    public void CheckDurableBeforeApply(SimNode node, LogEntry entry)
    {
        var disk = node.Disk.Log;
        if (entry.Index <= disk.SnapshotIndex) return; // inside the durable snapshot
        if (entry.Index > disk.LastIndex || disk.TermAt(entry.Index) != entry.Term)
            throw Fail($"APPLIED BEFORE DURABLE: n{node.Id} applies {entry.Index}/{entry.Term} while its disk holds the log up to " +
                       $"{disk.LastIndex}{(entry.Index <= disk.LastIndex ? $" with term {disk.TermAt(entry.Index)} there" : "")}");
    }

    public void BeforeApply(SimNode node, LogEntry entry)
    {
        var applied = node.Machine.AppliedIndex;
        var bootstrapSkipped = applied == 0 && entry.Index == 2; // the bootstrap configuration is applied by construction
        if (entry.Index != applied + 1 && !bootstrapSkipped)
            throw Fail($"n{node.Id} applies {entry.Index}/{entry.Term} after {applied}: out of order");
        RecordCommitted(node, entry, node.MemHardState.Term);
    }

    /// <summary>State machine safety: each node's applied commands are a prefix of the one history.</summary>
    public void AfterApply(SimNode node, LogEntry entry)
    {
        var expected = _commandsUpTo[(int)entry.Index];
        if (node.Machine.Commands.Count != expected)
            throw Fail($"STATE MACHINE SAFETY: n{node.Id} holds {node.Machine.Commands.Count} commands at {entry.Index}; the history has {expected}");
        if (entry.Index > MaxAppliedIndex) MaxAppliedIndex = entry.Index;
    }

    // ------------------------------------------------------------ per step: leaders and commit indexes

    public void AfterStep(SimNode node)
    {
        // The core may hold entries and terms no Ready has shown yet (the loop is at its limit of writes in flight, or
        // a leader's snapshot goes alone): judge it once it caught up.
        if (node.Core is null || node.CoreAheadOfReadies) return;
        var status = node.Core.Status;
        if (status.Term != node.MemHardState.Term)
            throw Fail($"PERSISTENCE: n{node.Id} is in term {status.Term} but only offered term {node.MemHardState.Term} for persistence");
        if (status.CommitIndex < node.LastStatusCommit)
            throw Fail($"n{node.Id}: commit index went back from {node.LastStatusCommit} to {status.CommitIndex}");
        if (status.CommitIndex > status.LastLogIndex)
            throw Fail($"n{node.Id}: commit index {status.CommitIndex} beyond its last log index {status.LastLogIndex}");
        node.LastStatusCommit = status.CommitIndex;

        var upTo = Math.Min(status.CommitIndex, node.MemLog.LastIndex);
        for (var i = Math.Max(node.ObservedCommit + 1, node.MemLog.SnapshotIndex + 1); i <= upTo; i++)
            RecordCommitted(node, node.MemLog.EntryAt(i)!, status.Term);
        if (upTo > node.ObservedCommit) node.ObservedCommit = upTo;

        if (status.LeaderId is { } believed && believed != node.Id && _leaderOfTerm.TryGetValue(status.Term, out var actual) && actual != believed)
            throw Fail($"n{node.Id} believes n{believed} leads term {status.Term}, but n{actual} does");

        // The Readies' SoftState is how leadership is observed (see OnSoftState); it must match the core.
        var leaderByReadies = node.LastSoftState is { Role: RaftRole.Leader } soft ? soft.Term : 0;
        var leaderByStatus = status.Role == RaftRole.Leader ? status.Term : 0;
        if (leaderByReadies != leaderByStatus)
            throw Fail($"n{node.Id}: its Readies' SoftState says {node.LastSoftState} but its status says {status.Role} in term {status.Term}");
    }

    /// <summary>
    /// A Ready's SoftState shows leadership of a term (after its entries are in <see cref="SimNode.MemLog"/>): its
    /// own vote must be durable, it must be the only leader of the term, and its log must hold every entry
    /// committed in an earlier term (leader completeness).
    /// </summary>
    public void OnSoftState(SimNode node, SoftState soft)
    {
        if (soft.Role != RaftRole.Leader)
        {
            node.DurableLeaderTerm = 0;
            return;
        }
        if (node.DurableLeaderTerm == soft.Term) return;
        if (node.Disk.HardState.Term != soft.Term || node.Disk.HardState.VotedFor != node.Id)
            throw Fail($"PERSISTENCE: n{node.Id} leads term {soft.Term} but its disk says term {node.Disk.HardState.Term} vote {node.Disk.HardState.VotedFor}");
        if (_leaderOfTerm.TryGetValue(soft.Term, out var other) && other != node.Id)
            throw Fail($"ELECTION SAFETY: n{node.Id} and n{other} both lead term {soft.Term}");
        _leaderOfTerm[soft.Term] = node.Id;
        node.DurableLeaderTerm = soft.Term;

        for (var i = 0; i < _committed.Count; i++)
            if (_committedSeenInTerm[i] < soft.Term && !node.MemLog.Holds(i + 1, _committed[i].Term))
                throw Fail($"LEADER COMPLETENESS: new leader n{node.Id} of term {soft.Term} lacks committed entry {i + 1}/{_committed[i].Term}");
    }

    /// <summary>Propose's answer names where the command went: the applier matches by index and term.</summary>
    public void OnAccepted(SimNode node, ProposeResult.Accepted accepted, long commandId)
    {
        if (accepted.Term != node.Core!.Status.Term)
            throw Fail($"PROPOSAL: n{node.Id} accepted command {commandId} in term {accepted.Term} while in term {node.Core.Status.Term}");
        if (!_accepted.TryAdd((accepted.Index, accepted.Term), commandId))
            throw Fail($"PROPOSAL: n{node.Id} accepted command {commandId} at {accepted.Index}/{accepted.Term}, already promised to command {_accepted[(accepted.Index, accepted.Term)]}");
    }

    // ------------------------------------------------------------ reads

    public SimRead NewRead(long requestId) => new(requestId, _cluster.Steps, MaxAppliedIndex);

    /// <summary>
    /// Linearizability of ReadIndex: the value read (commands applied at the read index) includes every command
    /// acknowledged as committed (applied somewhere) before the read was requested.
    /// </summary>
    public long CheckRead(SimNode node, SimRead read)
    {
        if (read.ReadIndex > _committed.Count)
            throw Fail($"LINEARIZABILITY: n{node.Id} serves read {read.RequestId} at index {read.ReadIndex}, beyond the committed history ({_committed.Count})");
        var atIndex = _commandsUpTo[(int)read.ReadIndex];
        var served = node.Machine.Commands.Count;
        var required = _commandsUpTo[(int)read.AppliedIndexAcknowledgedBefore];
        if (atIndex < required || served < required)
            throw Fail($"LINEARIZABILITY: n{node.Id} read {read.RequestId} (requested at step {read.RequestedAtStep}) got read index {read.ReadIndex} ({atIndex} commands there) and served {served} commands, but {required} commands (up to index {read.AppliedIndexAcknowledgedBefore}) were acknowledged before it was requested");
        return served;
    }
}
