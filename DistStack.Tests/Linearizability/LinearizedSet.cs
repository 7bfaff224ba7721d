namespace DistStack.Tests.Linearizability;

/// <summary>
/// The set of linearized operations, represented for memoization by a 128-bit Zobrist hash (two independent
/// 64-bit keys per op, XORed in and out in O(1)). A memo entry is then 24 bytes whatever the history's length,
/// instead of a bitset of n bits: with thousands of ops per stack that is the difference between a few
/// hundred thousand and tens of millions of entries. Two different sets collide with probability 2^-128 per
/// pair — far below any other source of error in a test run.
/// </summary>
internal sealed class LinearizedSet
{
    private readonly ulong[] _low;
    private readonly ulong[] _high;

    public LinearizedSet(int size, ulong seed)
    {
        _low = new ulong[size];
        _high = new ulong[size];
        var x = seed;
        for (var i = 0; i < size; i++)
        {
            _low[i] = SplitMix(ref x);
            _high[i] = SplitMix(ref x);
        }
    }

    public ulong Low { get; private set; }

    public ulong High { get; private set; }

    /// <summary>Adding and removing op <paramref name="i"/> are the same XOR.</summary>
    public void Toggle(int i)
    {
        Low ^= _low[i];
        High ^= _high[i];
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>Memo key: (linearized set, model state).</summary>
internal readonly record struct MemoKey(ulong Low, ulong High, ModelState State)
{
    public override int GetHashCode() => (int)Low ^ (int)(Low >> 32) ^ State.List * 31 ^ (State.Exists ? 0x5bd1e995 : 0);
}
