using DistStack.Actors.Raft;

namespace DistStack.Actors.Persistence;

// What RaftNode writes to the Akka.Persistence journal and snapshot store. The journal is append-only, so a
// conflict truncation is an event of its own. A Raft index is not the journal's sequence number.
// These are kept forever: their serializer manifests carry a version.

/// <summary>Term and vote changed (Figure 2's persistent state).</summary>
public sealed record HardStateRecorded(long Term, int VotedFor);

/// <summary>One log entry appended. Written by earlier versions (one journal row per entry); still read.</summary>
public sealed record EntryAppended(LogEntry Entry);

/// <summary>
/// Consecutive log entries appended by one Ready, as ONE journal row. Profiles showed the per-event cost of
/// Akka.Persistence.Sql (a Persistent wrapper, a row, a serializer call and a handler per event) as the biggest
/// part of a follower's CPU after the SQLite commit itself; a Ready's entries are written and replayed together
/// anyway, so one event per Ready costs the same fsync and a fraction of the CPU.
/// </summary>
public sealed record EntriesAppended(IReadOnlyList<LogEntry> Entries);

/// <summary>Entries from <paramref name="FromIndex"/> on were removed (a conflict with the leader's log, §5.3).</summary>
public sealed record LogTruncated(long FromIndex);

/// <summary>The node's identity, written once when a data directory is bootstrapped.</summary>
public sealed record NodeBootstrapped(ulong ClusterId, int NodeId, ClusterConfiguration Configuration);

/// <summary>
/// The snapshot-store record: a Raft snapshot plus everything else the journal held up to the snapshot's
/// sequence number (hard state, the log tail after the Raft snapshot), so that journal events up to that
/// sequence number can be deleted.
/// </summary>
public sealed record DurableSnapshot(
    ulong ClusterId,
    int NodeId,
    HardState HardState,
    SnapshotData Snapshot,
    IReadOnlyList<LogEntry> Tail);
