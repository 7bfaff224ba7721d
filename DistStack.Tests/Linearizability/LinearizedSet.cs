namespace DistStack.Tests.Linearizability;

/// <summary>
/// The set of linearized operations as a bitset with an incrementally maintained Zobrist hash: setting or
/// clearing a bit is O(1) including the hash, so a memo lookup costs O(1) unless hashes collide.
/// </summary>
internal sealed class LinearizedSet
{
    private readonly ulong[] _keys;

    public LinearizedSet(int size, ulong seed)
    {
        Words = new ulong[(size + 63) / 64];
        _keys = new ulong[size];
        var x = seed;
        for (var i = 0; i < size; i++)
        {
            _keys[i] = SplitMix(ref x);
        }
    }

    public ulong[] Words { get; }

    public ulong Hash { get; private set; }

    public void Set(int i)
    {
        Words[i >> 6] |= 1UL << (i & 63);
        Hash ^= _keys[i];
    }

    public void Clear(int i)
    {
        Words[i >> 6] &= ~(1UL << (i & 63));
        Hash ^= _keys[i];
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>Memo key (linearized set, model state). Holds the live words on lookup and a copy once stored.</summary>
internal readonly struct MemoKey(ulong[] words, ulong hash, ModelState state) : IEquatable<MemoKey>
{
    private readonly ulong[] _words = words;
    private readonly ulong _hash = hash;
    private readonly ModelState _state = state;

    public MemoKey Stored() => new((ulong[])_words.Clone(), _hash, _state);

    public bool Equals(MemoKey other) =>
        _hash == other._hash && _state == other._state && _words.AsSpan().SequenceEqual(other._words);

    public override bool Equals(object? obj) => obj is MemoKey other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_hash, _state.Exists, _state.List);
}
