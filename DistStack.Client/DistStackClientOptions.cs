namespace DistStack.Client;

/// <summary>Where the cluster is and how long an operation may take.</summary>
public sealed class DistStackClientOptions
{
    /// <summary>Every node's HTTP base URL (e.g. http://10.0.0.1:12380). The client tries them in turn.</summary>
    public IList<Uri> Nodes { get; } = new List<Uri>();

    /// <summary>
    /// The total time one operation may take, all retries included (default 30 s). When it passes, a read or a write
    /// that certainly did not happen throws <see cref="DistStackUnavailableException"/>; a write that may have
    /// happened throws <see cref="OutcomeUnknownException"/>.
    /// </summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long one attempt on one node may take before the client gives up on it and asks another node (same
    /// Idempotency-Key). Default 6 s: a node answers within its request timeout (5 s by default), so this only fires
    /// for a node that hangs (paused, or cut off by the network).
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(6);

    /// <summary>
    /// A bearer token sent as <c>Authorization: Bearer ...</c> with every request, for nodes started with tokens (a
    /// read-write token for writes). Null: no header. For TLS give https node URLs.
    /// </summary>
    public string? BearerToken { get; set; }

    /// <summary>The longest pause between two attempts after a dropped connection or an unknown outcome (default 1 s; it starts at 50 ms and doubles).</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        if (Nodes.Count == 0) throw new ArgumentException("Give the client at least one node URL.", nameof(Nodes));
        foreach (var node in Nodes)
        {
            if (!node.IsAbsoluteUri || node.Scheme is not ("http" or "https"))
                throw new ArgumentException($"A node URL must be an absolute http(s) URL, not '{node}'.", nameof(Nodes));
        }
        if (Deadline <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(Deadline), "The deadline must be positive.");
        if (AttemptTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(AttemptTimeout), "The attempt timeout must be positive.");
        if (MaxBackoff < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(MaxBackoff), "The backoff must not be negative.");
    }
}
