using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;

namespace DistStack.Actors.Wire;

/// <summary>
/// The one little-endian writer of every DistStack byte format (wire messages, journal events, log entries,
/// snapshots): varints for counts, indices and terms (small numbers are one byte), zigzag varints for signed
/// values, fixed 8-byte integers, strict UTF-8 strings with a varint length, length-prefixed byte blocks. It writes
/// into a pooled scratch buffer and allocates only the final array, so a 64 KiB AppendEntries costs one allocation
/// of its own size. Dispose it to return the buffer. Scratch buffers above <see cref="PooledLimit"/> (a snapshot's)
/// are never pooled: the shared pool keeps what it is given, per size and per core, and a snapshot growing through
/// every size up to tens of megabytes left each of them held for good (measured: peak RSS past 1 GiB per node with
/// 1,000,000 values).
/// Large immutable byte ranges (a snapshot's values, a snapshot inside a DurableSnapshot) are written by reference
/// (<see cref="WriteReferenced"/>) and copied once, into the final array: a snapshot of tens of megabytes then costs
/// that one array instead of a scratch buffer of its size as well, which was most of a node's peak memory.
/// </summary>
internal sealed class WireWriter : IDisposable
{
    /// <summary>Throws on a lone surrogate instead of silently writing U+FFFD (which would change the value).</summary>
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly WireErrors _errors;
    private byte[] _buffer;
    private int _length;

    /// <summary>Ranges written by reference, in order; each goes at its scratch position <c>At</c>.</summary>
    private List<(int At, byte[] Array, int Offset, int Length)>? _referenced;
    private long _referencedLength;

    /// <summary>Ranges shorter than this are copied: a reference costs a list entry and a separate copy.</summary>
    private const int ReferencedMinimum = 256;

    private const int PooledLimit = 1 << 20;

    public WireWriter(int capacityHint, WireErrors errors = WireErrors.Format)
    {
        _errors = errors;
        _buffer = Rent(Math.Clamp(capacityHint, 64, Array.MaxLength));
    }

    private static byte[] Rent(int length) =>
        length <= PooledLimit ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);

    private static void Return(byte[] buffer)
    {
        if (buffer.Length <= PooledLimit) ArrayPool<byte>.Shared.Return(buffer);
    }

    /// <summary>The bytes written so far, including those written by reference.</summary>
    public long Length => _length + _referencedLength;

    public void WriteByte(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void WriteBool(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteInt64(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void WriteUInt64Fixed(ulong value)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_length), value);
        _length += 8;
    }

    public void WriteVarUInt(ulong value)
    {
        Ensure(10);
        _length += WriteVarUInt(_buffer.AsSpan(_length), value);
    }

    /// <summary>The varint encoding every format here uses, written at the start of <paramref name="destination"/>
    /// (for bytes laid out outside a writer, such as stored stack values); returns how many bytes it took.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteVarUInt(Span<byte> destination, ulong value)
    {
        var at = 0;
        while (value >= 0x80)
        {
            destination[at++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[at++] = (byte)value;
        return at;
    }

    /// <summary>How many bytes <see cref="WriteVarUInt(Span{byte}, ulong)"/> takes for <paramref name="value"/>.</summary>
    public static int VarUIntLength(ulong value) => value < 0x80 ? 1 : BitOperations.Log2(value) / 7 + 1;

    /// <summary>Zigzag varint: small magnitudes of either sign take few bytes.</summary>
    public void WriteVarInt(long value) => WriteVarUInt((ulong)((value << 1) ^ (value >> 63)));

    public void WriteNullableVarInt(long? value)
    {
        WriteBool(value.HasValue);
        if (value.HasValue) WriteVarInt(value.Value);
    }

    public void WriteCount(int count) => WriteVarUInt((ulong)count);

    /// <summary>A varint byte length, then the UTF-8 bytes.</summary>
    public void WriteString(string value)
    {
        if (value is null) throw _errors.Unwritable("A string field is null; it cannot be written.");
        // Short strings: one pass with a worst-case reservation and a tentative 2-byte length prefix (fixed up
        // below: a varint of 1 or 2 bytes, the same bytes the general path writes); long ones: exact count first.
        if (value.Length <= 1024)
        {
            Ensure(5 + value.Length * 3);
            var start = _length;
            int written;
            try { written = StrictUtf8.GetBytes(value, _buffer.AsSpan(start + 2)); }
            catch (EncoderFallbackException e) { throw InvalidText(e); }
            if (written < 0x80)
            {
                _buffer[start] = (byte)written;
                Buffer.BlockCopy(_buffer, start + 2, _buffer, start + 1, written);
                _length = start + 1 + written;
                return;
            }
            if (written < 0x4000)
            {
                _buffer[start] = (byte)(written | 0x80);
                _buffer[start + 1] = (byte)(written >> 7);
                _length = start + 2 + written;
                return;
            }
        }
        int count;
        try { count = StrictUtf8.GetByteCount(value); }
        catch (EncoderFallbackException e) { throw InvalidText(e); }
        WriteCount(count);
        Ensure(count);
        _length += StrictUtf8.GetBytes(value, _buffer.AsSpan(_length));
    }

    public void WriteNullableString(string? value)
    {
        WriteBool(value is not null);
        if (value is not null) WriteString(value);
    }

    /// <summary>A varint length, then the bytes (already UTF-8, or any opaque payload).</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteCount(bytes.Length);
        WriteRaw(bytes);
    }

    /// <summary>The bytes as they are, copied, with no length.</summary>
    private void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>A varint length, then the bytes, written by reference when large (<see cref="WriteReferenced"/>).</summary>
    public void WriteBytes(byte[] bytes)
    {
        WriteCount(bytes.Length);
        WriteReferenced(bytes, 0, bytes.Length);
    }

    /// <summary>
    /// The bytes as they are, with no length: copied when short, else only remembered and copied by
    /// <see cref="ToArray"/>. The caller promises that the range does not change until then (it is immutable data:
    /// a snapshot, the values of an append-only chunk).
    /// </summary>
    public void WriteReferenced(byte[] array, int offset, int length)
    {
        var range = array.AsSpan(offset, length); // checks the range
        if (length < ReferencedMinimum)
        {
            WriteRaw(range);
            return;
        }
        if (Length + length > Array.MaxLength) throw _errors.Unwritable("The encoded data exceeds the maximum array size.");
        (_referenced ??= []).Add((_length, array, offset, length));
        _referencedLength += length;
    }

    public byte[] ToArray()
    {
        if (_referenced is null) return _buffer.AsSpan(0, _length).ToArray();
        var result = new Filler(GC.AllocateUninitializedArray<byte>((int)Length));
        ForEachPiece(result, static (filler, piece) => filler.Append(piece));
        return result.Array;
    }

    /// <summary>Hands out what was written, in order, as it lies: pieces of the scratch buffer and referenced ranges
    /// (for a consumer that needs no single array, such as a compressor).</summary>
    public void ForEachPiece<TState>(TState state, PieceVisitor<TState> visit)
    {
        var from = 0;
        foreach (var (at, array, offset, length) in _referenced ?? [])
        {
            if (at > from) visit(state, _buffer.AsSpan(from, at - from));
            from = at;
            visit(state, array.AsSpan(offset, length));
        }
        if (_length > from) visit(state, _buffer.AsSpan(from, _length - from));
    }

    public delegate void PieceVisitor<in TState>(TState state, ReadOnlySpan<byte> piece);

    private sealed class Filler(byte[] array)
    {
        private int _position;

        public byte[] Array => array;

        public void Append(ReadOnlySpan<byte> piece)
        {
            piece.CopyTo(array.AsSpan(_position));
            _position += piece.Length;
        }
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0) Return(buffer);
    }

    private Exception InvalidText(EncoderFallbackException e) =>
        _errors.Unwritable("A stack id, request key, value or other string is not well-formed UTF-16 (lone surrogate); it cannot be stored.", e);

    private void Ensure(int extra)
    {
        if (_buffer.Length - _length >= extra) return;
        var needed = (long)_length + extra;
        if (needed + _referencedLength > Array.MaxLength) throw _errors.Unwritable("The encoded data exceeds the maximum array size.");
        var bigger = Rent((int)Math.Min(Math.Max(needed, (long)_buffer.Length * 2), Array.MaxLength));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        Return(_buffer);
        _buffer = bigger;
    }
}
