using System.Text;

namespace DistStack.Actors.Stacks;

/// <summary>
/// The fixed 64-bit hashes behind <see cref="StackState.Digest"/>. They must give the same answer in every
/// process on every machine, forever (digests are compared across nodes and versions), so they are written
/// out here: never .NET's built-in string hash, which is randomized per process.
/// Strings are hashed over their UTF-8 bytes, so hashing a string and hashing its encoded bytes agree.
/// </summary>
internal static class StackHashing
{
    private const ulong FnvOffsetBasis = 14695981039346656037UL;
    private const ulong FnvPrime = 1099511628211UL;
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    /// <summary>Chain hash of an empty stack; every stack's chain starts here.</summary>
    public const ulong EmptyChain = 0x243F6A8885A308D3UL;

    private const ulong StackSeed = 0x13198A2E03707344UL;

    public static ulong Hash(ReadOnlySpan<byte> utf8)
    {
        var hash = FnvOffsetBasis;
        foreach (var b in utf8)
        {
            hash ^= b;
            hash *= FnvPrime;
        }
        return Finalize(hash, utf8.Length);
    }

    /// <summary>Same value as <see cref="Hash(ReadOnlySpan{byte})"/> over the string's UTF-8, without allocating.</summary>
    public static ulong Hash(string text)
    {
        var hash = FnvOffsetBasis;
        var length = 0;
        Span<byte> buffer = stackalloc byte[4];
        foreach (var c in text)
        {
            // The ASCII fast path covers most keys and values.
            if (c < 0x80)
            {
                hash ^= c;
                hash *= FnvPrime;
                length++;
                continue;
            }
            goto slow;
        }
        return Finalize(hash, length);

    slow:
        hash = FnvOffsetBasis;
        length = 0;
        // Rune enumeration maps a lone surrogate to U+FFFD exactly as Encoding.UTF8 does.
        foreach (var rune in text.EnumerateRunes())
        {
            var written = rune.EncodeToUtf8(buffer);
            for (var i = 0; i < written; i++)
            {
                hash ^= buffer[i];
                hash *= FnvPrime;
            }
            length += written;
        }
        return Finalize(hash, length);
    }

    /// <summary>Order-sensitive combination: Combine(Combine(h, a), b) differs from Combine(Combine(h, b), a).</summary>
    public static ulong Combine(ulong hash, ulong value) =>
        Fmix64((ulong.RotateLeft(hash, 27) * Golden) ^ value);

    /// <summary>The chain hash of a stack after pushing a value whose hash is <paramref name="valueHash"/>.</summary>
    public static ulong Chain(ulong below, ulong valueHash) => Combine(below, valueHash);

    /// <summary>One stack's share of the global digest: its name, its contents in order, and its size.</summary>
    public static ulong StackContribution(ulong idHash, ulong chainHash, long count) =>
        Combine(Combine(Combine(StackSeed, idHash), chainHash), (ulong)count);

    private static ulong Finalize(ulong hash, int length) => Fmix64(hash ^ ((ulong)length * Golden));

    /// <summary>MurmurHash3's 64-bit finalizer: a bijection with good avalanche.</summary>
    private static ulong Fmix64(ulong k)
    {
        k ^= k >> 33;
        k *= 0xFF51AFD7ED558CCDUL;
        k ^= k >> 33;
        k *= 0xC4CEB9FE1A85EC53UL;
        k ^= k >> 33;
        return k;
    }
}
