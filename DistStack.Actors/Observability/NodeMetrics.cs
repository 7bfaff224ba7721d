using System.Diagnostics.Metrics;
using DistStack.Actors.Raft;

namespace DistStack.Actors.Observability;

/// <summary>
/// The node's BCL <see cref="Meter"/> ("DistStack.Node"): Raft state as gauges read from the node's latest
/// status, and what the node's actors measure (journal writes, snapshots, commits, leader changes). Names follow
/// Prometheus conventions and etcd's (etcd_server_has_leader, etcd_disk_wal_fsync_duration_seconds, ...), so an
/// exporter prints them as they are. One per ActorSystem (<see cref="NodeObservations"/>); only the host exports
/// it (prometheus-net listens to every Meter of the process).
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    public const string MeterName = "DistStack.Node";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _leaderChanges;
    private readonly Counter<long> _proposalsCommitted;
    private readonly Histogram<double> _journalWriteSeconds;
    private readonly Histogram<long> _journalWriteEntries;
    private readonly Histogram<double> _snapshotSaveSeconds;
    private readonly Histogram<long> _snapshotBytes;
    private readonly Counter<long> _peerMessagesSent;
    private readonly Counter<long> _peerMessagesReceived;

    public NodeMetrics(NodeObservations node)
    {
        _meter.CreateObservableGauge("diststack_server_has_leader", () => node.Latest is { LeaderId: not null } ? 1 : 0,
            description: "1 if this node knows a leader, else 0.");
        _meter.CreateObservableGauge("diststack_server_is_leader", () => node.Latest is { Role: RaftRole.Leader } ? 1 : 0,
            description: "1 if this node is the leader, else 0.");
        _meter.CreateObservableGauge("diststack_raft_term", () => node.Latest?.Term ?? 0,
            description: "This node's current Raft term.");
        _meter.CreateObservableGauge("diststack_raft_commit_index", () => node.Latest?.CommitIndex ?? 0,
            description: "The highest log index this node knows committed.");
        _meter.CreateObservableGauge("diststack_raft_applied_index", () => node.Latest?.AppliedIndex ?? 0,
            description: "The highest log index applied to this node's stacks.");
        _meter.CreateObservableGauge("diststack_raft_last_log_index", () => node.Latest?.LastLogIndex ?? 0,
            description: "The last index in this node's log.");
        _meter.CreateObservableGauge("diststack_raft_snapshot_index", () => node.Latest?.SnapshotIndex ?? 0,
            description: "The index of this node's latest snapshot (the log starts after it).");
        _meter.CreateObservableGauge("diststack_server_proposals_pending", () => node.PendingProposals,
            description: "Proposals this node made as leader that are not committed yet.");
        _meter.CreateObservableGauge("diststack_state_request_keys", () => node.RememberedRequestKeys,
            description: "Request keys (Idempotency-Keys and generated keys) the state machine remembers.");
        _meter.CreateObservableGauge("diststack_raft_follower_lag_entries", FollowerLag,
            description: "On the leader: the leader's last log index minus each follower's match index.");

        _leaderChanges = _meter.CreateCounter<long>("diststack_server_leader_changes_seen_total",
            description: "Leaders this node has learned of (a new leader, or a new term of the same one).");
        _proposalsCommitted = _meter.CreateCounter<long>("diststack_server_proposals_committed_total",
            description: "Committed log entries this node handed to its state machine since the process started (each index once).");
        _journalWriteSeconds = _meter.CreateHistogram<double>("diststack_disk_journal_write_duration_seconds",
            description: "One Raft Ready's journal write, from queueing it to its durability (writes overlap; the journal groups queued ones into one transaction and fsync).");
        _journalWriteEntries = _meter.CreateHistogram<long>("diststack_disk_journal_write_entries",
            description: "Log entries carried by one journal write (group commit).");
        _snapshotSaveSeconds = _meter.CreateHistogram<double>("diststack_snapshot_save_duration_seconds",
            description: "Saving a snapshot durably, by kind (compaction, install).");
        _snapshotBytes = _meter.CreateHistogram<long>("diststack_snapshot_size_bytes",
            description: "The state machine part of a saved snapshot, by kind (compaction, install).");
        _peerMessagesSent = _meter.CreateCounter<long>("diststack_network_peer_sent_messages_total",
            description: "Raft messages this node handed to Akka.Remote, by message type (each costs a remote frame; fewer per request is cheaper).");
        _peerMessagesReceived = _meter.CreateCounter<long>("diststack_network_peer_received_messages_total",
            description: "Raft messages this node received from its peers, by message type.");

        // Counters exist from the start at 0 (Prometheus' increase() and rate() need the first sample).
        _leaderChanges.Add(0);
        _proposalsCommitted.Add(0);

        IEnumerable<Measurement<long>> FollowerLag()
        {
            if (node.Latest is not { Role: RaftRole.Leader } status) yield break;
            foreach (var member in status.Members)
                if (member.Id != status.NodeId && member.MatchIndex is { } match)
                    yield return new Measurement<long>(status.LastLogIndex - match, new KeyValuePair<string, object?>("follower", member.Id.ToString()));
        }
    }

    public void LeaderChanged() => _leaderChanges.Add(1);

    public void Committed(long entries) => _proposalsCommitted.Add(entries);

    public void JournalWritten(TimeSpan took, int entries)
    {
        _journalWriteSeconds.Record(took.TotalSeconds);
        _journalWriteEntries.Record(entries);
    }

    public void PeerMessageSent(RaftMessage message) =>
        _peerMessagesSent.Add(1, new KeyValuePair<string, object?>("type", message.GetType().Name));

    public void PeerMessageReceived(RaftMessage message) =>
        _peerMessagesReceived.Add(1, new KeyValuePair<string, object?>("type", message.GetType().Name));

    public void SnapshotSaved(string kind, TimeSpan took, long bytes)
    {
        var tag = new KeyValuePair<string, object?>("kind", kind);
        _snapshotSaveSeconds.Record(took.TotalSeconds, tag);
        _snapshotBytes.Record(bytes, tag);
    }

    public void Dispose() => _meter.Dispose();
}
