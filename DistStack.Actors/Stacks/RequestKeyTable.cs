namespace DistStack.Actors.Stacks;

/// <summary>
/// The at-most-once table of dissertation §6.3: the result of every command by its request key, so a retried
/// command gets its original answer instead of a second effect. Persistent, part of <see cref="StackState"/>.
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
/// Keys of one kind are recorded with strictly increasing indices and non-decreasing times, so a window per kind in
/// recording order (<see cref="RecordedKeyWindow"/>) is also in expiry order: expiry only ever looks at its head,
/// recording only appends at its tail, and a lookup is one hash probe per kind, all O(1) amortised per applied
/// entry. The windows hold everything a snapshot writes, in index order. Each key also keeps the fingerprint
/// of the command it was recorded for (<see cref="Fingerprint"/>), so a key reused for a different command is told
/// apart from a retry.
/// </summary>
internal sealed class RequestKeyTable
{
    public static readonly RequestKeyTable Empty = new(RecordedKeyWindow.Empty, RecordedKeyWindow.Empty, 0);

    private readonly RecordedKeyWindow _generatedKeys;
    private readonly RecordedKeyWindow _clientKeys;

    private RequestKeyTable(RecordedKeyWindow generatedKeys, RecordedKeyWindow clientKeys, long clientKeyBytes)
    {
        _generatedKeys = generatedKeys;
        _clientKeys = clientKeys;
        ClientKeyBytes = clientKeyBytes;
    }

    public int Count => _generatedKeys.Count + _clientKeys.Count;

    /// <summary>
    /// What the client-chosen keys weigh, by <see cref="CostOf"/>: a deterministic measure (the same on every
    /// node), not the heap's exact bytes.
    /// </summary>
    public long ClientKeyBytes { get; }

    /// <summary>
    /// The hash <see cref="TryGet"/> and <see cref="Record"/> take: a command's key is looked up and then, when new,
    /// recorded, and is hashed once for both.
    /// </summary>
    public static ulong HashOf(string requestKey) => StackHashing.Hash(requestKey);

    /// <summary>The result recorded for the key, and the fingerprint of its command (0: unknown, recorded by an older version).</summary>
    public bool TryGet(string requestKey, ulong keyHash, out StackResult result, out ulong fingerprint)
    {
        var found = _generatedKeys.TryGet(requestKey, keyHash, out var recorded)
                    || _clientKeys.TryGet(requestKey, keyHash, out recorded);
        (result, fingerprint) = found ? (recorded.Result, recorded.Fingerprint) : (null!, 0UL);
        return found;
    }

    /// <summary>Records a key not in the table (the caller has just looked it up) at log index and log time.</summary>
    public RequestKeyTable Record(RecordedKey recorded, ulong keyHash) =>
        recorded.FromClient
            ? new RequestKeyTable(_generatedKeys, _clientKeys.Append(recorded, keyHash), ClientKeyBytes + CostOf(recorded))
            : new RequestKeyTable(_generatedKeys.Append(recorded, keyHash), _clientKeys, ClientKeyBytes);

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
        var generated = _generatedKeys;
        var client = _clientKeys;
        var clientBytes = ClientKeyBytes;
        // Written as differences so that a window of long.MaxValue ("never forget") cannot overflow.
        while (!generated.IsEmpty && appliedIndex - generated.OldestIndex > options.DedupWindowEntries)
            generated = generated.WithoutOldest();
        while (!client.IsEmpty
               && appliedIndex - client.OldestIndex > options.DedupWindowEntries
               && clockMs - client.OldestRecordedAtMs > options.ClientKeyWindowMs)
        {
            clientBytes -= CostOf(client.Oldest);
            client = client.WithoutOldest();
        }
        return ReferenceEquals(generated, _generatedKeys) && ReferenceEquals(client, _clientKeys)
            ? this
            : new RequestKeyTable(generated, client, clientBytes);
    }

    /// <summary>Every entry, oldest index first (the order snapshots store them in).</summary>
    public IEnumerable<RecordedKey> InIndexOrder()
    {
        using var generated = _generatedKeys.InOrder().GetEnumerator();
        using var client = _clientKeys.InOrder().GetEnumerator();
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
        var table = Empty;
        foreach (var entry in entries) table = table.Record(entry, HashOf(entry.Key));
        return table;
    }
}

/// <summary>
/// One remembered request key: where (log index) and when (log clock, milliseconds) its command applied, whether
/// the client chose it, the result it answered and its command's fingerprint.
/// </summary>
internal readonly record struct RecordedKey(string Key, long Index, long RecordedAtMs, bool FromClient, StackResult Result, ulong Fingerprint);
