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

    /// <summary>
    /// At most <paramref name="limit"/> ids greater than <paramref name="after"/>, in ordinal order. One pass over
    /// the ids keeping the smallest <paramref name="limit"/> (O(stacks × log limit)): the dictionary has no order,
    /// and a listing page is rare next to pushes and pops, so no sorted index is kept for it.
    /// </summary>
    public IReadOnlyList<string> StackIdsAfter(string after, int limit)
    {
        ArgumentNullException.ThrowIfNull(after);
        if (limit <= 0) return [];
        // A max-heap by id of the smallest ids seen so far: the largest of them is the one a smaller id replaces.
        var smallest = new PriorityQueue<string, string>(limit + 1, Comparer<string>.Create((a, b) => string.CompareOrdinal(b, a)));
        foreach (var id in _stacks.Keys)
        {
            if (string.CompareOrdinal(id, after) <= 0) continue;
            if (smallest.Count < limit) smallest.Enqueue(id, id);
            else if (string.CompareOrdinal(id, smallest.Peek()) < 0) smallest.EnqueueDequeue(id, id);
        }
        var page = new string[smallest.Count];
        for (var i = page.Length - 1; i >= 0; i--) page[i] = smallest.Dequeue();
        return page;
    }

    internal StackValues ValuesOf(string stackId) => _stacks[stackId];

    internal RequestKeyTable RequestKeys => _requestKeys;

    /// <summary>Assembles a state read from a snapshot; the digest is recomputed, never trusted from the bytes.</summary>
    internal static StackState Restore(
        StackStateOptions options,
        ImmutableDictionary<string, StackValues> stacks,
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
