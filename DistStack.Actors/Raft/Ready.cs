namespace DistStack.Actors.Raft;

/// <summary>
/// Everything the core wants done, collected by the shell with <see cref="RaftCore.GetReady"/>.
///
/// THE PERSISTENCE CONTRACT, with asynchronous storage writes (etcd raft's AsyncStorageWrites model). The shell
/// may take several Readies before the first is durable; Shell/ReadyLoop is the one implementation of this contract,
/// run by RaftNode and by the simulator. For each Ready, in the order they were taken:
///  1. send <see cref="Messages"/> at once: they promise nothing about this node's disk (a leader's
///     AppendEntries may go out while its own write of the same entries is in flight, dissertation §10.2.1;
///     heartbeats, snapshot chunks, vote requests and ReadIndex confirmations carry nothing the sender must have
///     stored);
///  2. start the write of <see cref="HardState"/>, <see cref="Snapshot"/> and <see cref="Entries"/> (fsync'd).
///     Writes become durable IN THE ORDER THEIR READIES WERE TAKEN: a later write never survives a crash that an
///     earlier one did not (one journal writer, appends in order). <see cref="Entries"/> replace the log from their
///     first index on, which may fall inside an earlier write still in flight (a conflict, §5.3): the later write
///     overwrites it;
///  3. once this write and every earlier one are durable, send <see cref="MessagesAfterDurable"/>: votes and
///     append acknowledgements promise that what they answer for (term, vote, entries) survives a crash. What
///     they answer for is in this Ready's write or an earlier one, hence the wait for all of them;
///  4. apply <see cref="CommittedEntries"/> in order and serve <see cref="ReadStates"/> once applied up to their
///     read index. This does not wait for any write: committed entries are only ever ones already durable here
///     when the Ready was taken (never ones a write in flight carries), and a read index is a commit index already
///     reached; successive Readies hand out successive entries, so applying each Ready's in turn applies in order;
///  5. call <see cref="RaftCore.Advance"/> with each Ready once steps 3 and 4 are done for it, oldest first. Only
///     then does the leader count the written entries toward a commit quorum (its own copy is durable) and a
///     candidate count its own vote.
/// Meanwhile the core keeps taking input: followers' acknowledgements commit entries and heartbeat answers confirm
/// reads while the leader's own write is in flight, and the next Ready carries the result.
/// A leader's <see cref="Snapshot"/> (received by a follower) is the exception, taken alone: the core hands it out only
/// once every earlier Ready is advanced, and nothing after it until it is. It replaces the whole persisted log
/// (discard every persisted entry, then persist the snapshot and then <see cref="Entries"/>, which follow it); the
/// state machine restores it once it is durable, and only then applies <see cref="CommittedEntries"/>.
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
    /// Step 2 has something to write (a hard state, a snapshot or entries). Without it, steps 3 and 5 still wait for
    /// the writes of earlier Readies. <see cref="Entries"/> replace the log from <c>Entries[0].Index</c> on: when
    /// that index is not past the last index already written, everything written from there is a conflict to
    /// truncate first (§5.3).
    /// </summary>
    public bool MustPersist => HardState is not null || Snapshot is not null || Entries.Count > 0;

    public bool IsEmpty =>
        SoftState is null && !MustPersist && Messages.Count == 0 && MessagesAfterDurable.Count == 0 &&
        CommittedEntries.Count == 0 && ReadStates.Count == 0;
}
