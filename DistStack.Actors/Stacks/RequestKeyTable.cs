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
/// dictionary only answers "seen this key, with what result". Each key also keeps the fingerprint of the command it
/// was recorded for (<see cref="Fingerprint"/>), so a key reused for a different command is told apart from a retry.
/// </summary>
internal sealed class RequestKeyTable
{
    public static readonly RequestKeyTable Empty =
        new(ImmutableDictionary<string, (StackResult, ulong)>.Empty.WithComparers(StringComparer.Ordinal),
            ImmutableQueue<Recorded>.Empty);

    private readonly ImmutableDictionary<string, (StackResult Result, ulong Fingerprint)> _byKey;
    private readonly ImmutableQueue<Recorded> _inIndexOrder;

    private RequestKeyTable(ImmutableDictionary<string, (StackResult, ulong)> byKey, ImmutableQueue<Recorded> inIndexOrder)
    {
        _byKey = byKey;
        _inIndexOrder = inIndexOrder;
    }

    public int Count => _byKey.Count;

    /// <summary>The result recorded for the key, and the fingerprint of its command (0: unknown, recorded by an older version).</summary>
    public bool TryGet(string requestKey, out StackResult result, out ulong fingerprint)
    {
        var found = _byKey.TryGetValue(requestKey, out var recorded);
        (result, fingerprint) = found ? recorded : (null!, 0UL);
        return found;
    }

    /// <summary>Records a key not in the table (the caller has just looked it up).</summary>
    public RequestKeyTable Record(long index, string requestKey, StackResult result, ulong fingerprint) =>
        new(_byKey.Add(requestKey, (result, fingerprint)), _inIndexOrder.Enqueue(new Recorded(requestKey, index, result, fingerprint)));

    /// <summary>
    /// What identifies a command apart from its key: kind, stack and value. Never 0 (0 marks "unknown" for keys
    /// restored from a snapshot written before fingerprints existed).
    /// </summary>
    public static ulong Fingerprint(StackCommand command)
    {
        var kind = command switch
        {
            CreateStack => 1UL,
            DeleteStack => 2UL,
            PushValue => 3UL,
            PopValue => 4UL,
            _ => 5UL,
        };
        var hash = StackHashing.Combine(StackHashing.Combine(kind, StackHashing.Hash(command.StackId)),
            command is PushValue push ? StackHashing.Hash(push.Value) : 0UL);
        return hash == 0 ? 1 : hash;
    }

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
    public IEnumerable<(string Key, long Index, StackResult Result, ulong Fingerprint)> InIndexOrder()
    {
        foreach (var recorded in _inIndexOrder) yield return (recorded.Key, recorded.Index, recorded.Result, recorded.Fingerprint);
    }

    /// <summary>Rebuilds a table from entries in index order (snapshot restore).</summary>
    public static RequestKeyTable FromIndexOrder(IReadOnlyList<(string Key, long Index, StackResult Result, ulong Fingerprint)> entries)
    {
        var byKey = ImmutableDictionary.CreateBuilder<string, (StackResult, ulong)>(StringComparer.Ordinal);
        var keys = new Recorded[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            var (key, index, result, fingerprint) = entries[i];
            byKey.Add(key, (result, fingerprint));
            keys[i] = new Recorded(key, index, result, fingerprint);
        }
        return new RequestKeyTable(byKey.ToImmutable(), ImmutableQueue.Create(keys));
    }

    private readonly record struct Recorded(string Key, long Index, StackResult Result, ulong Fingerprint);
}
