namespace DistStack.Client;

/// <summary>
/// The retry rules of one logical operation, apart from any I/O: which node to ask next, how long to wait first,
/// and whether the operation may already have been applied. One operation, one Idempotency-Key, one attempt at a
/// time (never two copies of a write in flight).
///  - 503 (not started): nothing happened there. That node is not asked again before its Retry-After has passed;
///    the next node is asked at once. When every node is waiting out a Retry-After, the client waits for the first.
///  - A connection refused: nothing was sent; that node rests for <see cref="UnreachableRest"/>, like a 503.
///  - 504, a dropped connection, an attempt timeout: the write may have happened. The next node is asked with the
///    SAME key after a short backoff (50 ms doubling to the configured maximum): the state machine applies a key at
///    most once and answers a retry with the first result.
///  - A 503 after any of those leaves the outcome unknown: that one attempt did nothing, an earlier one may have.
/// </summary>
internal sealed class OperationAttempts
{
    /// <summary>How long a node that refused the connection is left alone (a node restarting takes seconds).</summary>
    public static readonly TimeSpan UnreachableRest = TimeSpan.FromMilliseconds(500);

    private static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(50);

    /// <summary>The least a node rests after a 503, whatever its Retry-After says (0 would make the client spin on it).</summary>
    public static readonly TimeSpan MinimumRest = TimeSpan.FromMilliseconds(100);

    private readonly IReadOnlyList<Uri> _nodes;
    private readonly TimeProvider _time;
    private readonly TimeSpan _maxBackoff;
    private readonly long[] _restUntil;
    private int _next;
    private TimeSpan _backoff = FirstBackoff;
    private bool _lastWasUnknown;

    public OperationAttempts(IReadOnlyList<Uri> nodes, int firstNode, string? idempotencyKey, TimeProvider time, TimeSpan maxBackoff)
    {
        _nodes = nodes;
        _next = firstNode % nodes.Count;
        _time = time;
        _maxBackoff = maxBackoff;
        _restUntil = new long[nodes.Count];
        IdempotencyKey = idempotencyKey;
    }

    /// <summary>The key every attempt carries (null for reads, which change nothing).</summary>
    public string? IdempotencyKey { get; }

    /// <summary>True once any attempt may have been applied (504, dropped connection, timeout): from then on only a definite answer settles it.</summary>
    public bool MayHaveApplied { get; private set; }

    /// <summary>The node of the attempt in progress (or the last one).</summary>
    public int CurrentNode { get; private set; }

    public int Attempts { get; private set; }

    /// <summary>What the last failed attempt said, for the exception at the deadline.</summary>
    public string LastProblem { get; private set; } = "no attempt yet";

    /// <summary>Picks the node for the next attempt: the next in turn that is not resting, else the one that rests least.</summary>
    public Uri StartAttempt()
    {
        var now = _time.GetTimestamp();
        var chosen = -1;
        for (var i = 0; i < _nodes.Count; i++)
        {
            var candidate = (_next + i) % _nodes.Count;
            if (_restUntil[candidate] <= now)
            {
                chosen = candidate;
                break;
            }
        }
        if (chosen < 0) chosen = Array.IndexOf(_restUntil, _restUntil.Min());
        CurrentNode = chosen;
        _next = (chosen + 1) % _nodes.Count;
        Attempts++;
        return _nodes[chosen];
    }

    /// <summary>The node answered 503 (or refused the connection): nothing happened there; leave it alone for <paramref name="rest"/>.</summary>
    public void NotStarted(TimeSpan rest, string why)
    {
        if (rest < MinimumRest) rest = MinimumRest;
        _restUntil[CurrentNode] = _time.GetTimestamp() + (long)(rest.TotalSeconds * _time.TimestampFrequency);
        _lastWasUnknown = false;
        LastProblem = $"{_nodes[CurrentNode]}: {why}";
    }

    /// <summary>The attempt may have been applied (504, dropped connection, timeout).</summary>
    public void Unknown(string why)
    {
        MayHaveApplied = true;
        _lastWasUnknown = true;
        LastProblem = $"{_nodes[CurrentNode]}: {why}";
    }

    /// <summary>How long to wait before the next attempt.</summary>
    public TimeSpan DelayBeforeNextAttempt()
    {
        if (_lastWasUnknown)
        {
            var delay = _backoff;
            _backoff = TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, Math.Max(_maxBackoff.Ticks, FirstBackoff.Ticks)));
            return delay < _maxBackoff ? delay : _maxBackoff;
        }
        var now = _time.GetTimestamp();
        var soonest = _restUntil.Min();
        return soonest <= now ? TimeSpan.Zero : TimeSpan.FromSeconds((double)(soonest - now) / _time.TimestampFrequency);
    }
}
