using System.Buffers.Binary;
using System.Text;

namespace DistStack.Actors.Stacks;

/// <summary>
/// Growable little-endian byte writer for the stack codecs: varints for lengths and counts, strict UTF-8 for
/// strings. One buffer, doubled as needed; no per-item allocation.
/// </summary>
internal sealed class StackWireWriter
{
    /// <summary>Throws on a lone surrogate instead of silently writing U+FFFD (which would change the value).</summary>
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private byte[] _buffer;
    private int _length;

    public StackWireWriter(int initialCapacity = 256) => _buffer = new byte[Math.Max(16, initialCapacity)];

    public int Length => _length;

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void WriteInt64(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void WriteUInt64(ulong value)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void WriteVarUInt(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[_length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _buffer[_length++] = (byte)value;
    }

    public void WriteVarInt(long value) => WriteVarUInt((ulong)((value << 1) ^ (value >> 63)));

    public void WriteString(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        // Short strings: one pass with a worst-case reservation; long ones: exact count first.
        if (value.Length <= 1024)
        {
            Ensure(5 + value.Length * 3);
            var start = _length;
            _length += 2; // tentative 2-byte length prefix; fixed up below when it is not.
            int written;
            try { written = StrictUtf8.GetBytes(value, _buffer.AsSpan(_length)); }
            catch (EncoderFallbackException e) { throw InvalidText(e); }
            if (written < 0x80)
            {
                _buffer[start] = (byte)written;
                Buffer.BlockCopy(_buffer, start + 2, _buffer, start + 1, written);
                _length = start + 1 + written;
            }
            else if (written < 0x4000)
            {
                _buffer[start] = (byte)(written | 0x80);
                _buffer[start + 1] = (byte)(written >> 7);
                _length = start + 2 + written;
            }
            else
            {
                _length = start;
                WriteStringCounted(value);
            }
            return;
        }
        WriteStringCounted(value);
    }

    private void WriteStringCounted(string value)
    {
        int count;
        try { count = StrictUtf8.GetByteCount(value); }
        catch (EncoderFallbackException e) { throw InvalidText(e); }
        WriteVarUInt((ulong)count);
        Ensure(count);
        _length += StrictUtf8.GetBytes(value, _buffer.AsSpan(_length));
    }

    /// <summary>Writes bytes that are already UTF-8 (or any opaque payload) with a length prefix.</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteVarUInt((ulong)bytes.Length);
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

    private static ArgumentException InvalidText(EncoderFallbackException e) =>
        new("A stack id, request key or value is not well-formed UTF-16 (lone surrogate); it cannot be stored.", e);

    private void Ensure(int extra)
    {
        if (_buffer.Length - _length >= extra) return;
        var needed = (long)_length + extra;
        var size = Math.Max(needed, (long)_buffer.Length * 2);
        if (size > Array.MaxLength) size = Math.Max(needed, Array.MaxLength);
        if (size > Array.MaxLength) throw new InvalidOperationException("Encoded stack data exceeds the maximum array size.");
        Array.Resize(ref _buffer, (int)size);
    }
}

/// <summary>Reads what <see cref="StackWireWriter"/> wrote; every malformed input ends in a <see cref="FormatException"/>.</summary>
internal ref struct StackWireReader
{
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly string _what;
    private int _position;

    public StackWireReader(ReadOnlySpan<byte> bytes, string what)
    {
        _bytes = bytes;
        _what = what;
        _position = 0;
    }

    public int Remaining => _bytes.Length - _position;

    public byte ReadByte()
    {
        Need(1);
        return _bytes[_position++];
    }

    public long ReadInt64()
    {
        Need(8);
        var value = BinaryPrimitives.ReadInt64LittleEndian(_bytes.Slice(_position));
        _position += 8;
        return value;
    }

    public ulong ReadUInt64()
    {
        Need(8);
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

    /// <summary>A count of items that each take at least one byte: larger than what is left means garbage.</summary>
    public int ReadCount()
    {
        var count = ReadVarUInt();
        if (count > (ulong)Remaining) throw Malformed($"a count of {count} exceeds the {Remaining} bytes left");
        return (int)count;
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        var length = ReadCount();
        var slice = _bytes.Slice(_position, length);
        _position += length;
        return slice;
    }

    public string ReadString() => Decode(ReadBytes());

    public string Decode(ReadOnlySpan<byte> utf8)
    {
        try { return StackWireWriter.StrictUtf8.GetString(utf8); }
        catch (DecoderFallbackException e) { throw new FormatException($"Malformed {_what}: a string is not valid UTF-8.", e); }
    }

    public void EnsureEnd()
    {
        if (Remaining != 0) throw Malformed($"{Remaining} unexpected trailing bytes");
    }

    public FormatException Malformed(string reason) => new($"Malformed {_what}: {reason}.");

    private void Need(int count)
    {
        if (Remaining < count) throw Malformed("it ends early (truncated)");
    }
}
