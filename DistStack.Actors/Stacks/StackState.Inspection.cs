using System.Collections.Immutable;

namespace DistStack.Actors.Stacks;

// Read-only views of the whole state, for the snapshot codec and for tests that compare a state to a model.
public sealed partial class StackState
{
    /// <summary>The values of a stack from top to bottom, or null if it does not exist. O(size).</summary>
    public IReadOnlyList<string>? ValuesTopDown(string stackId) =>
        _stacks.TryGetValue(stackId, out var top) ? top.TopDown().ToList() : null;

    /// <summary>Every stack id, in ordinal order (deterministic, unlike the dictionary's own order).</summary>
    public IReadOnlyList<string> StackIds()
    {
        var ids = new string[_stacks.Count];
        var i = 0;
        foreach (var id in _stacks.Keys) ids[i++] = id;
        Array.Sort(ids, StringComparer.Ordinal);
        return ids;
    }

    internal StackNode TopNode(string stackId) => _stacks[stackId];

    internal RequestKeyTable RequestKeys => _requestKeys;

    /// <summary>Assembles a state read from a snapshot; the digest is recomputed, never trusted from the bytes.</summary>
    internal static StackState Restore(
        StackStateOptions options,
        ImmutableDictionary<string, StackNode> stacks,
        RequestKeyTable requestKeys,
        long appliedIndex,
        long clockMs)
    {
        EnsureValid(options);
        ulong digest = 0;
        foreach (var (id, top) in stacks) digest += Contribution(id, top);
        return new StackState(options, stacks.WithComparers(StringComparer.Ordinal), requestKeys, appliedIndex, digest, clockMs);
    }
}
