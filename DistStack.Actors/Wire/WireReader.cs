using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace DistStack.Actors.Wire;

/// <summary>
/// Reads what <see cref="WireWriter"/> wrote. Anything malformed (truncated, trailing bytes, an out-of-range enum,
/// invalid UTF-8, an absurd count) ends in an exception naming what was being read (<see cref="WireErrors"/> says
/// which type), so a corrupt frame, journal row or snapshot is reported, never half-read.
/// </summary>
internal ref struct WireReader
{
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly string _what;
    private readonly string? _manifest;
    private readonly WireErrors _errors;
    private int _position;

    /// <param name="what">What is read, for error messages ("stack snapshot", "DistStack message").</param>
    /// <param name="manifest">The manifest of a serialized message, also for error messages.</param>
    public WireReader(ReadOnlySpan<byte> bytes, string what, WireErrors errors = WireErrors.Format, string? manifest = null)
    {
        _bytes = bytes;
        _what = what;
        _manifest = manifest;
        _errors = errors;
        _position = 0;
    }

    public int Remaining => _bytes.Length - _position;

    public byte ReadByte()
    {
        if (_position >= _bytes.Length) throw Truncated();
        return _bytes[_position++];
    }

    public bool ReadBool() => ReadByte() switch
    {
        0 => false,
        1 => true,
        var other => throw Malformed($"{other} is not a boolean"),
    };

    public long ReadInt64()
    {
        if (Remaining < 8) throw Truncated();
        var value = BinaryPrimitives.ReadInt64LittleEndian(_bytes.Slice(_position));
        _position += 8;
        return value;
    }

    public ulong ReadUInt64Fixed()
    {
        if (Remaining < 8) throw Truncated();
        var value = BinaryPrimitives.ReadUInt64LittleEndian(_bytes.Slice(_position));
        _position += 8;
        return value;
    }

    public ulong ReadVarUInt()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                if (shift == 63 && b > 1) break;
                return value;
            }
        }
        throw Malformed("a variable-length integer is longer than 64 bits");
    }

    public long ReadVarInt()
    {
        var raw = ReadVarUInt();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public int ReadInt32()
    {
        var value = ReadVarInt();
        if (value is < int.MinValue or > int.MaxValue) throw Malformed($"{value} does not fit a 32-bit integer");
        return (int)value;
    }

    public long? ReadNullableVarInt() => ReadBool() ? ReadVarInt() : null;

    public int? ReadNullableInt32() => ReadBool() ? ReadInt32() : null;

    /// <summary>A count of items that each take at least <paramref name="minimumItemSize"/> bytes: more than what is left means garbage.</summary>
    public int ReadCount(int minimumItemSize = 1)
    {
        var count = ReadVarUInt();
        if (count > (ulong)(Remaining / Math.Max(1, minimumItemSize)))
            throw Malformed($"a count of {count} does not fit in the {Remaining} bytes left");
        return (int)count;
    }

    public ReadOnlySpan<byte> ReadByteSpan()
    {
        var length = ReadCount();
        var slice = _bytes.Slice(_position, length);
        _position += length;
        return slice;
    }

    public byte[] ReadBytes() => ReadByteSpan().ToArray();

    public string ReadString() => Decode(ReadByteSpan());

    public string? ReadNullableString() => ReadBool() ? ReadString() : null;

    /// <summary>Strict UTF-8 bytes already read (e.g. hashed first) to a string.</summary>
    public string Decode(ReadOnlySpan<byte> utf8)
    {
        try { return WireWriter.StrictUtf8.GetString(utf8); }
        catch (DecoderFallbackException e) { throw _errors.Malformed(_what, _manifest, "a string is not valid UTF-8", e); }
    }

    public TEnum ReadEnum<TEnum>(byte min, byte max) where TEnum : struct, Enum
    {
        var value = ReadByte();
        if (value < min || value > max) throw Malformed($"{value} is not a valid {typeof(TEnum).Name}");
        // Every DistStack enum is a byte enum, so this reinterpretation is exact (and does not box).
        return Unsafe.As<byte, TEnum>(ref value);
    }

    public void EnsureEnd()
    {
        if (Remaining != 0) throw Malformed($"{Remaining} unexpected trailing bytes");
    }

    public Exception Malformed(string reason) => _errors.Malformed(_what, _manifest, reason);

    private Exception Truncated() => Malformed("it ends early (truncated)");
}
