using System.Collections.Immutable;

namespace DistStack.Actors.Stacks;

/// <summary>
/// The at-most-once table of dissertation §6.3: the result of every command by its request key, so a retried
/// command gets its original answer instead of a second effect. Immutable, part of <see cref="StackState"/>.
///
/// Keys expire by log index, never by a local clock (every node must forget the same key at the same entry):
/// a key recorded at index i is forgotten once the applied index exceeds i + window. Keys are recorded with
/// strictly increasing indices, so a queue in recording order is also in index order and expiry only ever
/// looks at its head: O(1) amortised per applied entry. The queue holds index and result too, so neither expiry
/// nor writing a snapshot looks keys up in the dictionary (those lookups were half the cost of a snapshot); the
/// dictionary only answers "seen this key, with what result".
/// </summary>
internal sealed class RequestKeyTable
{
    public static readonly RequestKeyTable Empty =
        new(ImmutableDictionary<string, StackResult>.Empty.WithComparers(StringComparer.Ordinal),
            ImmutableQueue<Recorded>.Empty);

    private readonly ImmutableDictionary<string, StackResult> _byKey;
    private readonly ImmutableQueue<Recorded> _inIndexOrder;

    private RequestKeyTable(ImmutableDictionary<string, StackResult> byKey, ImmutableQueue<Recorded> inIndexOrder)
    {
        _byKey = byKey;
        _inIndexOrder = inIndexOrder;
    }

    public int Count => _byKey.Count;

    public bool TryGet(string requestKey, out StackResult result) => _byKey.TryGetValue(requestKey, out result!);

    /// <summary>Records a key not in the table (the caller has just looked it up).</summary>
    public RequestKeyTable Record(long index, string requestKey, StackResult result) =>
        new(_byKey.Add(requestKey, result), _inIndexOrder.Enqueue(new Recorded(requestKey, index, result)));

    /// <summary>Forgets every key recorded at an index i with i + window &lt; <paramref name="appliedIndex"/>.</summary>
    public RequestKeyTable Expire(long appliedIndex, long window)
    {
        if (_inIndexOrder.IsEmpty) return this;
        var byKey = _byKey;
        var queue = _inIndexOrder;
        while (!queue.IsEmpty)
        {
            var oldest = queue.Peek();
            // Written as a difference so that a window of long.MaxValue ("never forget") cannot overflow.
            if (appliedIndex - oldest.Index <= window) break;
            byKey = byKey.Remove(oldest.Key);
            queue = queue.Dequeue();
        }
        return ReferenceEquals(queue, _inIndexOrder) ? this : new RequestKeyTable(byKey, queue);
    }

    /// <summary>Every entry, oldest first (the order snapshots store them in).</summary>
    public IEnumerable<(string Key, long Index, StackResult Result)> InIndexOrder()
    {
        foreach (var recorded in _inIndexOrder) yield return (recorded.Key, recorded.Index, recorded.Result);
    }

    /// <summary>Rebuilds a table from entries in index order (snapshot restore).</summary>
    public static RequestKeyTable FromIndexOrder(IReadOnlyList<(string Key, long Index, StackResult Result)> entries)
    {
        var byKey = ImmutableDictionary.CreateBuilder<string, StackResult>(StringComparer.Ordinal);
        var keys = new Recorded[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            var (key, index, result) = entries[i];
            byKey.Add(key, result);
            keys[i] = new Recorded(key, index, result);
        }
        return new RequestKeyTable(byKey.ToImmutable(), ImmutableQueue.Create(keys));
    }

    private readonly record struct Recorded(string Key, long Index, StackResult Result);
}
