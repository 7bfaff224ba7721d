using Akka.Actor;
using DistStack.Actors.Node;

namespace DistStack.Actors.Observability;

/// <summary>
/// What one node shows of itself, per ActorSystem (an Akka extension, so it outlives restarts of the RaftNode
/// actor and counters stay monotonic): its latest status, its event ring (the dashboard's timeline), its metrics.
/// Fed by RaftNode (status at every tick and role change, journal and snapshot writes), the StackRegistry
/// (remembered request keys) and the host (acknowledged writes, served reads); read by the metrics exporter, the
/// overview responder and the host's log. <see cref="Observe"/> is called by the RaftNode actor only; the rest
/// may be called from any thread.
/// </summary>
public sealed class NodeObservations : IExtension, IDisposable
{
    private readonly object _lock = new();
    private readonly NodeEventDetector _detector = new();
    private long _highestCommitted = -1;
    private long _lastAcknowledgedTerm = -1;
    private long _writesAcknowledged;
    private long _readsServed;
    private volatile NodeStatus? _latest;
    private long _latestAtMs;

    public NodeObservations()
    {
        Metrics = new NodeMetrics(this);
    }

    public static NodeObservations For(ActorSystem system) => system.WithExtension<NodeObservations, NodeObservationsProvider>();

    public NodeMetrics Metrics { get; }

    public NodeEventRing Events { get; } = new();

    /// <summary>The node's status as of its last tick; null before its Raft actor first ran.</summary>
    public NodeStatus? Latest => _latest;

    /// <summary>When <see cref="Latest"/> was observed (Unix ms): a stale one means the Raft actor is stuck or restarting.</summary>
    public long LatestAtMs => Interlocked.Read(ref _latestAtMs);

    public int PendingProposals { get; private set; }

    public int RememberedRequestKeys { get; set; }

    public long WritesAcknowledged => Interlocked.Read(ref _writesAcknowledged);

    public long ReadsServed => Interlocked.Read(ref _readsServed);

    /// <summary>Every new event, as it is recorded (the host logs them as structured fields). Called on the recording thread.</summary>
    public event Action<NodeEvent>? EventRecorded;

    /// <summary>The RaftNode actor, at every tick and whenever the core reports a new role or leader.</summary>
    public void Observe(NodeStatus status, long voteTerm, int? votedFor, int pendingProposals)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _latest = status;
        Interlocked.Exchange(ref _latestAtMs, now);
        PendingProposals = pendingProposals;
        foreach (var e in _detector.Observe(status, voteTerm, votedFor, now))
        {
            if (e.Kind == NodeEventKind.LeaderKnown) Metrics.LeaderChanged();
            Record(e);
        }
    }

    /// <summary>
    /// The RaftNode actor handed committed entries <paramref name="firstIndex"/>..<paramref name="lastIndex"/> to the state machine: before
    /// any of them is answered, so the counter never lags an acknowledged write. Entries re-applied by a restarted
    /// Raft actor (recovery replays from its snapshot) are not counted again.
    /// </summary>
    public void Committed(long firstIndex, long lastIndex)
    {
        if (_highestCommitted < 0) _highestCommitted = firstIndex - 1;
        if (lastIndex <= _highestCommitted) return;
        Metrics.Committed(lastIndex - _highestCommitted);
        _highestCommitted = lastIndex;
    }

    public void JournalWritten(TimeSpan took, int entries) => Metrics.JournalWritten(took, entries);

    public void SnapshotSaved(bool installed, long index, long bytes, TimeSpan took)
    {
        Metrics.SnapshotSaved(installed ? "install" : "compaction", took, bytes);
        var term = _latest?.Term ?? 0;
        Record(new NodeEvent(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _latest?.NodeId ?? 0,
            installed ? NodeEventKind.SnapshotInstalled : NodeEventKind.SnapshotSaved, term,
            Index: index, Bytes: bytes, DurationMs: (long)took.TotalMilliseconds));
    }

    /// <summary>The host answered a write 2xx: the first one in a term goes on the timeline (the end of a failover).</summary>
    public void WriteAcknowledged()
    {
        Interlocked.Increment(ref _writesAcknowledged);
        if (_latest is not { } status || status.Term <= Interlocked.Read(ref _lastAcknowledgedTerm)) return;
        lock (_lock)
        {
            if (status.Term <= _lastAcknowledgedTerm) return;
            Interlocked.Exchange(ref _lastAcknowledgedTerm, status.Term);
        }
        Record(new NodeEvent(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), status.NodeId,
            NodeEventKind.FirstWriteAcknowledged, status.Term, LeaderId: status.LeaderId));
    }

    public void ReadServed() => Interlocked.Increment(ref _readsServed);

    private void Record(NodeEvent draft)
    {
        var recorded = Events.Add(draft);
        EventRecorded?.Invoke(recorded);
    }

    public void Dispose() => Metrics.Dispose();
}

/// <summary>Creates the one <see cref="NodeObservations"/> of an ActorSystem, disposed (its Meter) when the system terminates.</summary>
public sealed class NodeObservationsProvider : ExtensionIdProvider<NodeObservations>
{
    public override NodeObservations CreateExtension(ExtendedActorSystem system)
    {
        var observations = new NodeObservations();
        system.RegisterOnTermination(observations.Dispose);
        return observations;
    }
}
