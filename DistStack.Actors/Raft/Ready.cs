namespace DistStack.Actors.Raft;

/// <summary>
/// Everything the core wants done, collected by the shell with <see cref="RaftCore.GetReady"/>.
///
/// THE PERSISTENCE CONTRACT. The shell must carry a Ready out in this order (Shell/ReadyLoop is the one
/// implementation, run by RaftNode and by the simulator):
///  1. send <see cref="Messages"/> at once: they promise nothing about this node's disk (a leader's
///     AppendEntries may go out while its own write of the same entries is in flight, dissertation §10.2.1;
///     heartbeats, snapshot chunks and vote requests carry nothing the sender must have stored);
///  2. make <see cref="HardState"/>, <see cref="Snapshot"/> and <see cref="Entries"/> durable (fsync'd);
///     a <see cref="Snapshot"/> (one received from the leader) replaces the whole persisted log: discard every
///     persisted entry, then persist the snapshot and then <see cref="Entries"/> (which follow it);
///  3. only then send <see cref="MessagesAfterDurable"/>: votes and append acknowledgements promise that what
///     they answer for (term, vote, entries) survives a crash, so they must never leave before the write;
///  4. apply <see cref="CommittedEntries"/> in order and serve <see cref="ReadStates"/> once applied up to their
///     read index. This step does not depend on step 2 and may run before or while it does: committed entries
///     are only ever ones that were durable here before this Ready (never ones it is writing), and a read index
///     is a commit index already reached. With a <see cref="Snapshot"/>, restore it first, once it is durable;
///  5. call <see cref="RaftCore.Advance"/> with this Ready. Only then does the leader count its own log toward
///     a commit quorum, and only then may the next Ready be taken.
/// </summary>
public sealed record Ready(
    SoftState? SoftState,
    HardState? HardState,
    SnapshotData? Snapshot,
    IReadOnlyList<LogEntry> Entries,
    IReadOnlyList<RaftMessage> Messages,
    IReadOnlyList<RaftMessage> MessagesAfterDurable,
    IReadOnlyList<LogEntry> CommittedEntries,
    IReadOnlyList<ReadState> ReadStates)
{
    /// <summary>
    /// Step 2 has something to write (a hard state, a snapshot or entries), so steps 3 and 5 wait for a durable
    /// write. <see cref="Entries"/> replace the log from <c>Entries[0].Index</c> on: when that index is not past
    /// the last persisted index, everything persisted from there is a conflict to truncate first (§5.3).
    /// </summary>
    public bool MustPersist => HardState is not null || Snapshot is not null || Entries.Count > 0;

    public bool IsEmpty =>
        SoftState is null && !MustPersist && Messages.Count == 0 && MessagesAfterDurable.Count == 0 &&
        CommittedEntries.Count == 0 && ReadStates.Count == 0;
}
