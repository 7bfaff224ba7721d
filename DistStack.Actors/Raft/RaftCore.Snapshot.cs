namespace DistStack.Actors.Raft;

/// <summary>Log compaction and InstallSnapshot (§7), sent in chunks with one chunk in flight.</summary>
public sealed partial class RaftCore
{
    /// <summary>Follower: the snapshot being received, if any.</summary>
    private IncomingSnapshot? _incomingSnapshot;

    /// <summary>A snapshot received from the leader, not yet handed to the shell in a Ready.</summary>
    private SnapshotData? _pendingSnapshot;

    /// <summary>
    /// The application took a snapshot of everything applied up to <c>snapshot.Metadata.LastIncludedIndex</c>
    /// and made it durable: the core drops the log up to there and sends this snapshot to followers that need
    /// compacted entries.
    /// </summary>
    public void Compact(SnapshotData snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var metadata = snapshot.Metadata;
        if (metadata.LastIncludedIndex <= _log.SnapshotIndex) return;
        if (metadata.LastIncludedIndex > _log.Applied)
            throw new ArgumentException(
                $"Cannot compact to {metadata.LastIncludedIndex}: only {_log.Applied} is applied.", nameof(snapshot));
        if (_log.Term(metadata.LastIncludedIndex) != metadata.LastIncludedTerm)
            throw new ArgumentException(
                $"Snapshot term {metadata.LastIncludedTerm} does not match the log at {metadata.LastIncludedIndex}.",
                nameof(snapshot));

        _log.CompactTo(metadata.LastIncludedIndex, metadata.LastIncludedTerm);
        _snapshot = snapshot;
        _snapshotConfiguration = metadata.Configuration;
        RefreshConfiguration();
    }

    private void SendSnapshot(int to, FollowerProgress progress)
    {
        // Compacted entries without a snapshot to replace them cannot happen (Compact brings one); if it ever
        // did, the follower stays in probe state rather than being sent something wrong.
        if (_snapshot is null) return;
        progress.BecomeSnapshot(_snapshot.Metadata.LastIncludedIndex);
        SendSnapshotChunk(to, progress);
    }

    private void SendSnapshotChunk(int to, FollowerProgress progress)
    {
        var snapshot = _snapshot!;
        var offset = (int)Math.Min(progress.SnapshotOffset, snapshot.Data.Length);
        var length = Math.Min(_options.SnapshotChunkBytes, snapshot.Data.Length - offset);
        var chunk = snapshot.Data.AsSpan(offset, length).ToArray();
        var done = offset + length >= snapshot.Data.Length;
        progress.SnapshotChunkSent();
        Send(new InstallSnapshot(ClusterId, _id, to, _term, snapshot.Metadata, offset, chunk, done));
    }

    private void HandleInstallSnapshotResponse(InstallSnapshotResponse response)
    {
        if (!_progress.TryGetValue(response.From, out var progress)) return;
        progress.RecentActive = true;

        if (response.Done)
        {
            // The follower holds everything up to there durably (it answered after its write).
            var updated = progress.MaybeUpdate(response.LastIncludedIndex);
            if (progress.State == ReplicationState.Snapshot) progress.BecomeProbe();
            if (updated && MaybeCommit()) BroadcastAppend(sendIfEmpty: true);
            else SendAppends(response.From, sendIfEmpty: true);
            MaybeHandOver(response.From, progress);
            return;
        }

        if (progress.State != ReplicationState.Snapshot || _snapshot is null) return;
        if (progress.PendingSnapshotIndex != _snapshot.Metadata.LastIncludedIndex ||
            response.LastIncludedIndex != progress.PendingSnapshotIndex)
        {
            // We compacted again meanwhile, or the answer is about another snapshot: start over with ours.
            SendSnapshot(response.From, progress);
            return;
        }
        // The chunk in flight is the one asked for: its own answer will move us on (no duplicate sends).
        if (response.NextOffset == progress.SnapshotOffset) return;
        // Continue where the follower wants; anything out of range restarts the transfer.
        progress.SnapshotOffset = response.NextOffset <= _snapshot.Data.Length ? response.NextOffset : 0;
        SendSnapshotChunk(response.From, progress);
    }

    /// <summary>A lost chunk would stall the transfer: resend it if no progress was made since the last heartbeat.</summary>
    private void RetransmitStalledSnapshotChunk(int to, FollowerProgress progress)
    {
        if (_snapshot is null) return;
        if (progress.PendingSnapshotIndex != _snapshot.Metadata.LastIncludedIndex)
        {
            SendSnapshot(to, progress);
            return;
        }
        if (progress.SnapshotStalledSinceLastCheck()) SendSnapshotChunk(to, progress);
    }

    private void HandleInstallSnapshot(InstallSnapshot chunk)
    {
        var metadata = chunk.Metadata;
        if (metadata.LastIncludedIndex <= _log.Committed)
        {
            // Older than what we know committed: we already hold all it covers. Acknowledge without installing.
            _incomingSnapshot = null;
            // PERSISTENCE: "done" promises we hold up to there durably; after the write.
            SendAfterDurable(new InstallSnapshotResponse(
                ClusterId, _id, chunk.From, _term, _log.Committed, chunk.Offset + chunk.Chunk.Length, true) { StorageId = StorageId });
            return;
        }

        if (chunk.Offset == 0 || _incomingSnapshot is null || !_incomingSnapshot.IsFor(metadata, _term, chunk.From))
        {
            if (chunk.Offset != 0)
            {
                // A chunk of a transfer we have no start of: ask for the beginning.
                Send(new InstallSnapshotResponse(ClusterId, _id, chunk.From, _term, metadata.LastIncludedIndex, 0, false) { StorageId = StorageId });
                return;
            }
            _incomingSnapshot = new IncomingSnapshot(metadata, _term, chunk.From);
        }

        if (chunk.Offset != _incomingSnapshot.Received)
        {
            // Duplicate or out of order: say which byte we want next.
            Send(new InstallSnapshotResponse(
                ClusterId, _id, chunk.From, _term, metadata.LastIncludedIndex, _incomingSnapshot.Received, false) { StorageId = StorageId });
            return;
        }

        if (_incomingSnapshot.Received + chunk.Chunk.Length > Math.Min(_options.MaxIncomingSnapshotBytes, Array.MaxLength))
        {
            _incomingSnapshot = null;
            Send(new InstallSnapshotResponse(ClusterId, _id, chunk.From, _term, metadata.LastIncludedIndex, 0, false) { StorageId = StorageId });
            return;
        }

        _incomingSnapshot.Add(chunk.Chunk);
        if (!chunk.Done)
        {
            // Chunks are only buffered in memory; acknowledging them promises nothing.
            Send(new InstallSnapshotResponse(
                ClusterId, _id, chunk.From, _term, metadata.LastIncludedIndex, _incomingSnapshot.Received, false) { StorageId = StorageId });
            return;
        }

        var snapshot = _incomingSnapshot.Complete();
        _incomingSnapshot = null;
        Restore(snapshot);
        // PERSISTENCE: "done" promises the snapshot is durable and installed: it leaves after the Ready's write.
        SendAfterDurable(new InstallSnapshotResponse(
            ClusterId, _id, chunk.From, _term, metadata.LastIncludedIndex, snapshot.Data.Length, true) { StorageId = StorageId });
    }

    private void Restore(SnapshotData snapshot)
    {
        var metadata = snapshot.Metadata;
        if (_log.MatchTerm(metadata.LastIncludedIndex, metadata.LastIncludedTerm))
        {
            // Our log already holds what the snapshot covers (§7): keep the log, and what follows it.
            _log.CommitTo(metadata.LastIncludedIndex);
            return;
        }
        // The log does not match: the snapshot replaces all of it. The shell persists the snapshot, discards its
        // whole persisted log (Ready.Snapshot) and restores the state machine from it.
        WithdrawAcknowledgementsFrom(metadata.LastIncludedIndex + 1);
        _log.Restore(metadata);
        _snapshot = snapshot;
        _pendingSnapshot = snapshot;
        _snapshotConfiguration = metadata.Configuration;
        RefreshConfiguration();
    }
}
