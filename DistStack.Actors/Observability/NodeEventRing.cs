namespace DistStack.Actors.Observability;

/// <summary>
/// The last <see cref="Capacity"/> events of one node, oldest first. Written by the node's actors, read by the
/// overview responder and the host (other threads), so every access takes the lock; events are rare (a few per
/// leader change), so the lock is never contended in practice.
/// </summary>
public sealed class NodeEventRing(int capacity = NodeEventRing.DefaultCapacity)
{
    /// <summary>Enough for dozens of failovers (each is about one event per member and kind) with a small reply.</summary>
    public const int DefaultCapacity = 256;

    private readonly Queue<NodeEvent> _events = new(capacity);
    private readonly object _lock = new();
    private long _nextSequence = 1;

    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity));

    /// <summary>Stamps <paramref name="draft"/> with the next sequence number, keeps it, and returns the stamped event.</summary>
    public NodeEvent Add(NodeEvent draft)
    {
        lock (_lock)
        {
            var stamped = draft with { Sequence = _nextSequence++ };
            if (_events.Count == Capacity) _events.Dequeue();
            _events.Enqueue(stamped);
            return stamped;
        }
    }

    public IReadOnlyList<NodeEvent> Snapshot()
    {
        lock (_lock) return [.. _events];
    }
}
