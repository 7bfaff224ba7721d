using System.Collections.Immutable;

namespace DistStack.Actors.Stacks;

/// <summary>
/// The at-most-once table of dissertation §6.3: the result of every command by its request key, so a retried
/// command gets its original answer instead of a second effect. Immutable, part of <see cref="StackState"/>.
///
/// Keys expire by log index and by the log's own clock, never by a node's local clock (every node must forget the
/// same key at the same entry). Two kinds of key, two rules:
///  - keys a node generated for a client that sent none only ever come back as the node's own re-forwarded copies
///    within one request timeout, so they are kept for the last <see cref="StackStateOptions.DedupWindowEntries"/>
///    entries;
///  - keys a client chose (its Idempotency-Key) may come back after a partition heals, minutes later, so they are
///    kept while EITHER the entry window OR <see cref="StackStateOptions.ClientKeyWindowMs"/> of the leader-stamped
///    log clock still covers them. Their size is bounded (<see cref="ClientKeyBytes"/>): at the bound the state
///    machine refuses new client-keyed commands rather than forget a key early (see StackState.Apply).
/// Keys of one kind are recorded with strictly increasing indices and non-decreasing times, so a queue per kind in
/// recording order is also in expiry order and expiry only ever looks at the heads: O(1) amortised per applied
/// entry. The queues hold everything a snapshot writes, so neither expiry nor a snapshot looks keys up in the
/// dictionary; the dictionary only answers "seen this key, with what result". Each key also keeps the fingerprint
/// of the command it was recorded for (<see cref="Fingerprint"/>), so a key reused for a different command is told
/// apart from a retry.
/// </summary>
internal sealed class RequestKeyTable
{
    public static readonly RequestKeyTable Empty =
        new(ImmutableDictionary<string, (StackResult, ulong)>.Empty.WithComparers(StringComparer.Ordinal),
            ImmutableQueue<RecordedKey>.Empty, ImmutableQueue<RecordedKey>.Empty, 0);

    private readonly ImmutableDictionary<string, (StackResult Result, ulong Fingerprint)> _byKey;
    private readonly ImmutableQueue<RecordedKey> _generatedKeys;
    private readonly ImmutableQueue<RecordedKey> _clientKeys;

    private RequestKeyTable(
        ImmutableDictionary<string, (StackResult, ulong)> byKey,
        ImmutableQueue<RecordedKey> generatedKeys,
        ImmutableQueue<RecordedKey> clientKeys,
        long clientKeyBytes)
    {
        _byKey = byKey;
        _generatedKeys = generatedKeys;
        _clientKeys = clientKeys;
        ClientKeyBytes = clientKeyBytes;
    }

    public int Count => _byKey.Count;

    /// <summary>
    /// What the client-chosen keys weigh, by <see cref="CostOf"/>: a deterministic measure (the same on every
    /// node), not the heap's exact bytes.
    /// </summary>
    public long ClientKeyBytes { get; }

    /// <summary>The result recorded for the key, and the fingerprint of its command (0: unknown, recorded by an older version).</summary>
    public bool TryGet(string requestKey, out StackResult result, out ulong fingerprint)
    {
        var found = _byKey.TryGetValue(requestKey, out var recorded);
        (result, fingerprint) = found ? recorded : (null!, 0UL);
        return found;
    }

    /// <summary>Records a key not in the table (the caller has just looked it up) at log index and log time.</summary>
    public RequestKeyTable Record(RecordedKey recorded)
    {
        var byKey = _byKey.Add(recorded.Key, (recorded.Result, recorded.Fingerprint));
        return recorded.FromClient
            ? new RequestKeyTable(byKey, _generatedKeys, _clientKeys.Enqueue(recorded), ClientKeyBytes + CostOf(recorded))
            : new RequestKeyTable(byKey, _generatedKeys.Enqueue(recorded), _clientKeys, ClientKeyBytes);
    }

    /// <summary>
    /// The weight of one remembered key: its text and its result's value as UTF-16, plus a fixed share for the
    /// dictionary and queue nodes around them.
    /// </summary>
    public static long CostOf(RecordedKey recorded) =>
        PerKeyOverheadBytes + 2L * recorded.Key.Length + 2L * (recorded.Result.Value?.Length ?? 0) + ValuesCost(recorded.Result.Values);

    /// <summary>A pop of many remembers what it popped, so a retry gets the same values.</summary>
    private static long ValuesCost(IReadOnlyList<string>? values)
    {
        if (values is null) return 0;
        long cost = 0;
        foreach (var value in values) cost += PerValueOverheadBytes + 2L * value.Length;
        return cost;
    }

    public const long PerValueOverheadBytes = 24;

    public const long PerKeyOverheadBytes = 96;

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
            PushValues => 6UL,
            PopValues => 7UL,
            _ => 5UL,
        };
        var hash = StackHashing.Combine(StackHashing.Combine(kind, StackHashing.Hash(command.StackId)), command switch
        {
            PushValue push => StackHashing.Hash(push.Value),
            PushValues pushMany => HashValues(pushMany.Values),
            PopValues popMany => (ulong)popMany.Count,
            _ => 0UL,
        });
        return hash == 0 ? 1 : hash;
    }

    private static ulong HashValues(IReadOnlyList<string> values)
    {
        var hash = (ulong)values.Count;
        foreach (var value in values) hash = StackHashing.Combine(hash, StackHashing.Hash(value));
        return hash;
    }

    /// <summary>
    /// Forgets every key recorded at an index i with i + <see cref="StackStateOptions.DedupWindowEntries"/> &lt;
    /// <paramref name="appliedIndex"/>, a client key only once it is also older than
    /// <see cref="StackStateOptions.ClientKeyWindowMs"/> by the log clock <paramref name="clockMs"/>.
    /// </summary>
    public RequestKeyTable Expire(long appliedIndex, long clockMs, StackStateOptions options)
    {
        var byKey = _byKey;
        var generated = _generatedKeys;
        var client = _clientKeys;
        var clientBytes = ClientKeyBytes;
        // Written as differences so that a window of long.MaxValue ("never forget") cannot overflow.
        while (!generated.IsEmpty && appliedIndex - generated.Peek().Index > options.DedupWindowEntries)
        {
            byKey = byKey.Remove(generated.Peek().Key);
            generated = generated.Dequeue();
        }
        while (!client.IsEmpty
               && appliedIndex - client.Peek().Index > options.DedupWindowEntries
               && clockMs - client.Peek().RecordedAtMs > options.ClientKeyWindowMs)
        {
            var oldest = client.Peek();
            byKey = byKey.Remove(oldest.Key);
            clientBytes -= CostOf(oldest);
            client = client.Dequeue();
        }
        return ReferenceEquals(byKey, _byKey) ? this : new RequestKeyTable(byKey, generated, client, clientBytes);
    }

    /// <summary>Every entry, oldest index first (the order snapshots store them in).</summary>
    public IEnumerable<RecordedKey> InIndexOrder()
    {
        using var generated = ((IEnumerable<RecordedKey>)_generatedKeys).GetEnumerator();
        using var client = ((IEnumerable<RecordedKey>)_clientKeys).GetEnumerator();
        var hasGenerated = generated.MoveNext();
        var hasClient = client.MoveNext();
        while (hasGenerated || hasClient)
        {
            if (hasGenerated && (!hasClient || generated.Current.Index < client.Current.Index))
            {
                yield return generated.Current;
                hasGenerated = generated.MoveNext();
            }
            else
            {
                yield return client.Current;
                hasClient = client.MoveNext();
            }
        }
    }

    /// <summary>Rebuilds a table from entries in index order (snapshot restore).</summary>
    public static RequestKeyTable FromIndexOrder(IReadOnlyList<RecordedKey> entries)
    {
        var byKey = ImmutableDictionary.CreateBuilder<string, (StackResult, ulong)>(StringComparer.Ordinal);
        var generated = new List<RecordedKey>();
        var client = new List<RecordedKey>();
        long clientBytes = 0;
        foreach (var entry in entries)
        {
            byKey.Add(entry.Key, (entry.Result, entry.Fingerprint));
            if (entry.FromClient)
            {
                client.Add(entry);
                clientBytes += CostOf(entry);
            }
            else generated.Add(entry);
        }
        return new RequestKeyTable(byKey.ToImmutable(), ImmutableQueue.CreateRange(generated), ImmutableQueue.CreateRange(client), clientBytes);
    }
}

/// <summary>
/// One remembered request key: where (log index) and when (log clock, milliseconds) its command applied, whether
/// the client chose it, the result it answered and its command's fingerprint.
/// </summary>
internal readonly record struct RecordedKey(string Key, long Index, long RecordedAtMs, bool FromClient, StackResult Result, ulong Fingerprint);
