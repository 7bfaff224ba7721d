namespace DistStack.Actors.Stacks;

/// <summary>
/// All stacks, immutable: applying a command returns a new state, so a snapshot is the reference itself
/// (O(1)) and can be serialized off the actor thread while the node goes on applying.
/// The request-key table (dissertation §6.3) is part of the state and therefore of every snapshot.
/// </summary>
public sealed partial class StackState
{
    public static StackState Empty(StackStateOptions options) => throw new NotImplementedException();

    /// <summary>
    /// Applies the command committed at log <paramref name="index"/>. A request key seen before returns the
    /// cached original result and changes nothing (a retried pop returns the same value, it does not pop again).
    /// </summary>
    public (StackState State, StackResult Result) Apply(long index, StackCommand command) =>
        throw new NotImplementedException();

    /// <summary>Records that log entry <paramref name="index"/> (a no-op or configuration) was applied.</summary>
    public StackState Skip(long index) => throw new NotImplementedException();

    public StackResult Query(StackQuery query) => throw new NotImplementedException();

    /// <summary>The last log index this state includes.</summary>
    public long AppliedIndex => throw new NotImplementedException();

    /// <summary>Order-sensitive hash of every stack's contents; equal on nodes at equal applied index. O(1).</summary>
    public ulong Digest => throw new NotImplementedException();
}

/// <summary>How long the request-key table remembers a key, counted in log entries (never a local clock).</summary>
public sealed record StackStateOptions(long DedupWindowEntries = 200_000);
