namespace DistStack.Actors.Observability;

/// <summary>What happened to a node, as its own timeline records it (see <see cref="NodeEventDetector"/>).</summary>
public enum NodeEventKind : byte
{
    /// <summary>This incarnation of the Raft actor started (after a process start or a supervisor restart).</summary>
    Started = 1,
    /// <summary>The node's role changed (follower, pre-candidate, candidate, leader) in <see cref="NodeEvent.Term"/>.</summary>
    RoleChanged = 2,
    /// <summary>The node knows no leader any more; <see cref="NodeEvent.LastHeardAtMs"/>: when it last heard the old one.</summary>
    LeaderLost = 3,
    /// <summary>The node learned the leader of <see cref="NodeEvent.Term"/> (possibly itself: elected).</summary>
    LeaderKnown = 4,
    /// <summary>The node granted its vote to <see cref="NodeEvent.PeerId"/> in <see cref="NodeEvent.Term"/>.</summary>
    Voted = 5,
    /// <summary>The node stopped hearing <see cref="NodeEvent.PeerId"/> (a leader about a follower, a follower about its leader).</summary>
    PeerLost = 6,
    /// <summary>The node hears <see cref="NodeEvent.PeerId"/> again.</summary>
    PeerRegained = 7,
    /// <summary>As leader, the first entry of its term committed (<see cref="NodeEvent.Index"/>): it can acknowledge writes.</summary>
    FirstCommitInTerm = 8,
    /// <summary>The first write answered 2xx through this node in <see cref="NodeEvent.Term"/>.</summary>
    FirstWriteAcknowledged = 9,
    /// <summary>A compaction snapshot at <see cref="NodeEvent.Index"/> was saved (<see cref="NodeEvent.Bytes"/>, <see cref="NodeEvent.DurationMs"/>).</summary>
    SnapshotSaved = 10,
    /// <summary>The leader's snapshot at <see cref="NodeEvent.Index"/> was installed.</summary>
    SnapshotInstalled = 11,
}

/// <summary>
/// One timestamped entry of a node's event ring. Fields that do not apply to a kind are null. Times are this
/// node's wall clock in Unix milliseconds: comparable across nodes only as far as their clocks agree (one host, or
/// NTP-synchronised hosts: a few milliseconds).
/// </summary>
public sealed record NodeEvent(
    long Sequence,
    long AtMs,
    int NodeId,
    NodeEventKind Kind,
    long Term,
    string? Role = null,
    int? LeaderId = null,
    int? PeerId = null,
    long? Index = null,
    long? LastHeardAtMs = null,
    long? DurationMs = null,
    long? Bytes = null)
{
    /// <summary>One line for people: the log's message and the dashboard's fallback text.</summary>
    public string Describe() => Kind switch
    {
        NodeEventKind.Started => $"node {NodeId} started (term {Term})",
        NodeEventKind.RoleChanged => $"node {NodeId} became {Role} in term {Term}",
        NodeEventKind.LeaderLost => $"node {NodeId} lost leader {LeaderId?.ToString() ?? "?"} (term {Term})" +
                                    (LastHeardAtMs is { } heard ? $", last heard {AtMs - heard} ms earlier" : ""),
        NodeEventKind.LeaderKnown => LeaderId == NodeId
            ? $"node {NodeId} elected leader in term {Term}"
            : $"node {NodeId} follows leader {LeaderId} in term {Term}",
        NodeEventKind.Voted => $"node {NodeId} voted for node {PeerId} in term {Term}",
        NodeEventKind.PeerLost => $"node {NodeId} lost contact with node {PeerId} (term {Term})",
        NodeEventKind.PeerRegained => $"node {NodeId} hears node {PeerId} again (term {Term})",
        NodeEventKind.FirstCommitInTerm => $"node {NodeId} (leader) committed index {Index}, the first of term {Term}",
        NodeEventKind.FirstWriteAcknowledged => $"first write acknowledged through node {NodeId} in term {Term}",
        NodeEventKind.SnapshotSaved => $"node {NodeId} saved a snapshot at index {Index} ({Bytes} bytes, {DurationMs} ms)",
        NodeEventKind.SnapshotInstalled => $"node {NodeId} installed the leader's snapshot at index {Index} ({Bytes} bytes, {DurationMs} ms)",
        _ => $"node {NodeId}: {Kind} (term {Term})",
    };
}
