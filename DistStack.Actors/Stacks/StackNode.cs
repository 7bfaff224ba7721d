namespace DistStack.Actors.Stacks;

/// <summary>
/// One cell of a persistent (immutable, structure-sharing) stack: push allocates one node, pop is a pointer
/// step, and every older version stays valid, which is what makes a snapshot O(1).
/// Each node caches its depth and the chain hash of the stack from the bottom up to it, so size and the
/// digest are O(1) and a pop restores the previous hash for free.
/// </summary>
internal sealed class StackNode
{
    /// <summary>The empty stack: shared by every stack with no values.</summary>
    public static readonly StackNode Bottom = new();

    private StackNode()
    {
        Value = string.Empty;
        Below = null;
        Count = 0;
        ChainHash = StackHashing.EmptyChain;
    }

    private StackNode(string value, StackNode below, ulong valueHash)
    {
        Value = value;
        Below = below;
        Count = below.Count + 1;
        ChainHash = StackHashing.Chain(below.ChainHash, valueHash);
    }

    /// <summary>The top value; meaningless on <see cref="Bottom"/>.</summary>
    public string Value { get; }

    /// <summary>The stack without its top value; null only on <see cref="Bottom"/>.</summary>
    public StackNode? Below { get; }

    public long Count { get; }

    public ulong ChainHash { get; }

    public bool IsEmpty => Count == 0;

    public StackNode Push(string value) => new(value, this, StackHashing.Hash(value));

    /// <summary>Push when the value's hash is already known (snapshot restore hashes the UTF-8 bytes it reads).</summary>
    public StackNode Push(string value, ulong valueHash) => new(value, this, valueHash);

    /// <summary>The values from top to bottom.</summary>
    public IEnumerable<string> TopDown()
    {
        for (var node = this; !node.IsEmpty; node = node.Below!) yield return node.Value;
    }
}
