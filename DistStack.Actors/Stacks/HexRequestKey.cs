namespace DistStack.Actors.Stacks;

/// <summary>
/// A request key of exactly 32 lowercase hexadecimal digits (a GUID's "N" form, the keys a node generates for
/// clients that send none) packed into two ulongs. The at-most-once table holds ~200,000 such keys; as strings they
/// took 88 bytes each, packed 16. Only a key that unpacks to the same string packs, so packing never changes
/// what a key is, what it hashes to, or what a snapshot writes.
/// </summary>
internal static class HexRequestKey
{
    private const int Digits = 32;

    public static bool TryPack(string key, out ulong high, out ulong low)
    {
        high = low = 0;
        if (key.Length != Digits) return false;
        for (var i = 0; i < Digits; i++)
        {
            var c = key[i];
            ulong digit;
            if (c is >= '0' and <= '9') digit = (ulong)(c - '0');
            else if (c is >= 'a' and <= 'f') digit = (ulong)(c - 'a' + 10);
            else return false;
            if (i < Digits / 2) high = (high << 4) | digit;
            else low = (low << 4) | digit;
        }
        return true;
    }

    public static string Unpack(ulong high, ulong low) =>
        string.Create(Digits, (high, low), static (chars, packed) =>
        {
            for (var i = 0; i < Digits; i++) chars[i] = (char)DigitAt(packed.high, packed.low, i);
        });

    /// <summary>Whether <paramref name="key"/> is the packed key, without packing it (a lookup compares only the candidates its probe meets).</summary>
    public static bool Matches(ulong high, ulong low, string key)
    {
        if (key.Length != Digits) return false;
        for (var i = 0; i < Digits; i++)
            if (key[i] != DigitAt(high, low, i)) return false;
        return true;
    }

    /// <summary>Equal to <see cref="StackHashing.Hash(string)"/> of the unpacked key, without making it.</summary>
    public static ulong Hash(ulong high, ulong low)
    {
        Span<byte> utf8 = stackalloc byte[Digits];
        for (var i = 0; i < Digits; i++) utf8[i] = DigitAt(high, low, i);
        return StackHashing.Hash(utf8);
    }

    private static byte DigitAt(ulong high, ulong low, int position)
    {
        var half = position < Digits / 2 ? high : low;
        var nibble = (int)(half >> (4 * (Digits / 2 - 1 - position % (Digits / 2)))) & 0xF;
        return (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);
    }
}
