using System.Collections.Immutable;

namespace DistStack.Actors.Stacks;

/// <summary>
/// All stacks, immutable: applying a command returns a new state, so a snapshot is the reference itself
/// (O(1)) and can be serialized off the actor thread while the node goes on applying.
/// The request-key table (dissertation §6.3) is part of the state and therefore of every snapshot.
///
/// Apply is total: any command the codec can decode applies without throwing, because a command that threw
/// here would throw on every replica at the same log index and stall the whole cluster.
/// </summary>
public sealed partial class StackState
{
    private readonly ImmutableDictionary<string, StackValues> _stacks;
    private readonly RequestKeyTable _requestKeys;

    private StackState(
        StackStateOptions options,
        ImmutableDictionary<string, StackValues> stacks,
        RequestKeyTable requestKeys,
        long appliedIndex,
        ulong digest,
        long clockMs)
    {
        Options = options;
        _stacks = stacks;
        _requestKeys = requestKeys;
        AppliedIndex = appliedIndex;
        Digest = digest;
        ClockMs = clockMs;
    }

    public static StackState Empty(StackStateOptions options)
    {
        EnsureValid(options);
        return new StackState(options, EmptyStacks, RequestKeyTable.Empty, 0, 0, 0);
    }

    private static void EnsureValid(StackStateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.DedupWindowEntries < 0)
            throw new ArgumentOutOfRangeException(nameof(options), "DedupWindowEntries must not be negative.");
        if (options.ClientKeyWindowMs < 0)
            throw new ArgumentOutOfRangeException(nameof(options), "ClientKeyWindowMs must not be negative.");
        if (options.MaxClientKeyBytes < 0)
            throw new ArgumentOutOfRangeException(nameof(options), "MaxClientKeyBytes must not be negative.");
    }

    private static readonly ImmutableDictionary<string, StackValues> EmptyStacks =
        ImmutableDictionary<string, StackValues>.Empty.WithComparers(StringComparer.Ordinal);

    public StackStateOptions Options { get; }

    /// <summary>The last log index this state includes.</summary>
    public long AppliedIndex { get; }

    /// <summary>Order-sensitive hash of every stack's contents; equal on nodes at equal applied index. O(1).</summary>
    public ulong Digest { get; }

    /// <summary>How many stacks exist.</summary>
    public int StackCount => _stacks.Count;

    /// <summary>
    /// The log's clock: the latest time, in Unix milliseconds, a leader stamped on an applied command (the maximum,
    /// so it never goes back when a new leader's wall clock is behind the old one's). Client keys age by it.
    /// </summary>
    public long ClockMs { get; }

    /// <summary>How many request keys the at-most-once table remembers right now.</summary>
    public int RememberedRequestKeys => _requestKeys.Count;

    /// <summary>The weight of the client-chosen keys remembered now (bounded by <see cref="StackStateOptions.MaxClientKeyBytes"/>).</summary>
    public long RememberedClientKeyBytes => _requestKeys.ClientKeyBytes;

    /// <summary>
    /// Applies the command committed at log <paramref name="index"/>, stamped by its leader at
    /// <paramref name="stampedAtMs"/> (Unix milliseconds; the log clock only moves forward). A request key seen before
    /// with the same command returns the cached original result and changes nothing (a retried pop returns the same
    /// value, it does not pop again). The same key with a different command (another kind, stack or value) changes
    /// nothing either and answers <see cref="StackOutcome.KeyReused"/>: the key names one request, and a client that
    /// reuses it for another has a bug; applying it would break at-most-once, answering the first result would lie.
    /// A new client-chosen key while the client keys are at their bound changes nothing and answers
    /// <see cref="StackOutcome.RequestKeysFull"/>: forgetting a key early could apply a retry twice.
    /// </summary>
    public (StackState State, StackResult Result) Apply(long index, StackCommand command, long stampedAtMs = 0)
    {
        ArgumentNullException.ThrowIfNull(command);
        EnsureAfterApplied(index);

        var clock = Math.Max(ClockMs, stampedAtMs);
        var requestKeys = _requestKeys.Expire(index, clock, Options);
        var fingerprint = RequestKeyTable.Fingerprint(command);
        var keyHash = RequestKeyTable.HashOf(command.RequestKey);
        if (requestKeys.TryGet(command.RequestKey, keyHash, out var cached, out var recordedFor))
            return (new StackState(Options, _stacks, requestKeys, index, Digest, clock),
                recordedFor == 0 || recordedFor == fingerprint ? cached : KeyReusedResult);
        if (command.KeyFromClient && requestKeys.ClientKeyBytes >= Options.MaxClientKeyBytes)
            return (new StackState(Options, _stacks, requestKeys, index, Digest, clock), RequestKeysFullResult);

        var (stacks, digest, result) = Execute(command);
        requestKeys = requestKeys.Record(new RecordedKey(command.RequestKey, index, clock, command.KeyFromClient, result, fingerprint), keyHash);
        return (new StackState(Options, stacks, requestKeys, index, digest, clock), result);
    }

    /// <summary>Records that log entry <paramref name="index"/> (a no-op or configuration) was applied.</summary>
    public StackState Skip(long index)
    {
        EnsureAfterApplied(index);
        return new StackState(Options, _stacks, _requestKeys.Expire(index, ClockMs, Options), index, Digest, ClockMs);
    }

    public StackResult Query(StackQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query is ListStacks list) return new StackResult(StackOutcome.Ok, Values: StackIdsAfter(list.After, list.Limit));
        if (!_stacks.TryGetValue(query.StackId, out var top)) return NotFound;
        return query switch
        {
            StackExists => Ok,
            SizeOfStack => new StackResult(StackOutcome.Ok, Size: top.Count),
            TopOfStack when top.IsEmpty => EmptyResult,
            TopOfStack => new StackResult(StackOutcome.Ok, top.Value),
            DescribeStack => new StackResult(StackOutcome.Ok, top.IsEmpty ? null : top.Value, top.Count),
            _ => throw new ArgumentException($"Unknown stack query type {query.GetType().Name}.", nameof(query)),
        };
    }

    private (ImmutableDictionary<string, StackValues> Stacks, ulong Digest, StackResult Result) Execute(StackCommand command)
    {
        var id = command.StackId;
        var exists = _stacks.TryGetValue(id, out var top);
        switch (command)
        {
            case CreateStack when exists:
                return (_stacks, Digest, AlreadyExists);
            case CreateStack:
                return (_stacks.Add(id, StackValues.Empty), Digest + Contribution(id, StackValues.Empty), Created);
            case DeleteStack when exists:
                return (_stacks.Remove(id), Digest - Contribution(id, top!), Ok);
            case PushValue push when exists:
            {
                var pushed = top!.Push(push.Value);
                return Replace(id, top, pushed, new StackResult(StackOutcome.Ok, Size: pushed.Count));
            }
            case PopValue when exists && top!.IsEmpty:
                return (_stacks, Digest, EmptyResult);
            case PopValue when exists:
                return Replace(id, top!, top!.Below, new StackResult(StackOutcome.Ok, top!.Value));
            case PushValues pushMany when exists:
            {
                var pushed = top!;
                foreach (var value in pushMany.Values) pushed = pushed.Push(value);
                return Replace(id, top!, pushed, new StackResult(StackOutcome.Ok, Size: pushed.Count));
            }
            case PopValues when exists && top!.IsEmpty:
                return (_stacks, Digest, EmptyResult);
            case PopValues popMany when exists:
            {
                // A stack holding fewer than asked pops what it holds; the caller sees how many in Values.
                var popped = top!.TopDown().Take((int)Math.Min(popMany.Count, top.Count)).ToArray();
                var left = top.Without(popped.Length);
                return Replace(id, top, left, new StackResult(StackOutcome.Ok, Size: left.Count, Values: popped));
            }
            case DeleteStack or PushValue or PopValue or PushValues or PopValues:
                return (_stacks, Digest, NotFound);
            default:
                // Unreachable for decoded commands: the codec only produces the six types above.
                throw new ArgumentException($"Unknown stack command type {command.GetType().Name}.", nameof(command));
        }
    }

    private (ImmutableDictionary<string, StackValues>, ulong, StackResult) Replace(
        string id, StackValues before, StackValues after, StackResult result)
    {
        var idHash = StackHashing.Hash(id);
        var digest = Digest
                     - StackHashing.StackContribution(idHash, before.ChainHash, before.Count)
                     + StackHashing.StackContribution(idHash, after.ChainHash, after.Count);
        return (_stacks.SetItem(id, after), digest, result);
    }

    private static ulong Contribution(string id, StackValues top) =>
        StackHashing.StackContribution(StackHashing.Hash(id), top.ChainHash, top.Count);

    private void EnsureAfterApplied(long index)
    {
        if (index <= AppliedIndex)
            throw new InvalidOperationException(
                $"Log index {index} applied out of order: this state already includes index {AppliedIndex}. " +
                "Apply and Skip must be called with strictly increasing indices.");
    }

    private static readonly StackResult Ok = new(StackOutcome.Ok);
    private static readonly StackResult Created = new(StackOutcome.Created);
    private static readonly StackResult AlreadyExists = new(StackOutcome.AlreadyExists);
    private static readonly StackResult NotFound = new(StackOutcome.NotFound);
    private static readonly StackResult EmptyResult = new(StackOutcome.Empty);
    private static readonly StackResult KeyReusedResult = new(StackOutcome.KeyReused);
    private static readonly StackResult RequestKeysFullResult = new(StackOutcome.RequestKeysFull);
}

/// <summary>
/// How long the request-key table remembers a key: every key for <paramref name="DedupWindowEntries"/> log entries;
/// a client-chosen key also for <paramref name="ClientKeyWindowMs"/> of the log clock (never a node's local clock),
/// whichever is longer; client keys up to <paramref name="MaxClientKeyBytes"/> (see RequestKeyTable.CostOf).
/// These decide what the state machine answers, so they must be equal on every node: they are constants of the
/// build, not configuration.
/// </summary>
public sealed record StackStateOptions(
    long DedupWindowEntries = 200_000,
    long ClientKeyWindowMs = 10 * 60 * 1000,
    long MaxClientKeyBytes = 128L * 1024 * 1024);
