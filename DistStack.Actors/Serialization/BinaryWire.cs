using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Serialization;
using System.Text;

namespace DistStack.Actors.Serialization;

/// <summary>
/// Little-endian writer for <see cref="DistStackSerializer"/>: varints for counts, indices and terms (small
/// numbers are one byte), strict UTF-8 strings, length-prefixed byte blocks. It writes into a pooled scratch
/// buffer and allocates only the final array, so a 64 KiB AppendEntries costs one allocation of its own size.
/// </summary>
internal sealed class BinaryWireWriter : IDisposable
{
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private byte[] _buffer;
    private int _length;

    public BinaryWireWriter(int capacityHint) =>
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Clamp(capacityHint, 64, Array.MaxLength));

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void WriteBool(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteUInt64Fixed(ulong value)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void WriteVarUInt(ulong value)
    {
        Ensure(10);
        var buffer = _buffer;
        var at = _length;
        while (value >= 0x80)
        {
            buffer[at++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[at++] = (byte)value;
        _length = at;
    }

    /// <summary>Zigzag varint: small magnitudes of either sign take few bytes.</summary>
    public void WriteVarInt(long value) => WriteVarUInt((ulong)((value << 1) ^ (value >> 63)));

    public void WriteNullableVarInt(long? value)
    {
        WriteBool(value.HasValue);
        if (value.HasValue) WriteVarInt(value.Value);
    }

    public void WriteCount(int count) => WriteVarUInt((ulong)count);

    public void WriteString(string value)
    {
        if (value is null) throw new SerializationException("A string field of a DistStack message is null; it cannot be serialized.");
        int count;
        try { count = StrictUtf8.GetByteCount(value); }
        catch (EncoderFallbackException e)
        {
            throw new SerializationException("A string field of a DistStack message is not well-formed UTF-16 (lone surrogate).", e);
        }
        WriteCount(count);
        Ensure(count);
        _length += StrictUtf8.GetBytes(value, _buffer.AsSpan(_length));
    }

    public void WriteNullableString(string? value)
    {
        WriteBool(value is not null);
        if (value is not null) WriteString(value);
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteCount(bytes.Length);
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }

    private void Ensure(int extra)
    {
        if (_buffer.Length - _length >= extra) return;
        var needed = (long)_length + extra;
        if (needed > Array.MaxLength) throw new SerializationException("A DistStack message exceeds the maximum array size.");
        var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(needed, (long)_buffer.Length * 2), Array.MaxLength));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}

/// <summary>
/// Reads what <see cref="BinaryWireWriter"/> wrote. Anything malformed (truncated, trailing bytes, an out-of-range
/// enum, invalid UTF-8, an absurd count) ends in a <see cref="SerializationException"/> naming the manifest, so
/// a corrupt frame or journal row is reported, never half-read.
/// </summary>
internal ref struct BinaryWireReader
{
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly string _manifest;
    private int _position;

    public BinaryWireReader(ReadOnlySpan<byte> bytes, string manifest)
    {
        _bytes = bytes;
        _manifest = manifest;
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

    /// <summary>A count of items that each take at least <paramref name="minimumItemSize"/> bytes.</summary>
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

    public string ReadString()
    {
        var utf8 = ReadByteSpan();
        try { return BinaryWireWriter.StrictUtf8.GetString(utf8); }
        catch (DecoderFallbackException e)
        {
            throw new SerializationException($"Malformed DistStack message (manifest '{_manifest}'): a string is not valid UTF-8.", e);
        }
    }

    public string? ReadNullableString() => ReadBool() ? ReadString() : null;

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

    public SerializationException Malformed(string reason) =>
        new($"Malformed DistStack message (manifest '{_manifest}'): {reason}.");

    private SerializationException Truncated() => Malformed("it ends early (truncated)");
}
