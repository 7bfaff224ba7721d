using System.Numerics;
using DistStack.Actors.Wire;

namespace DistStack.Actors.Stacks;

/// <summary>
/// The values of one stack, persistent: push and pop return a new <see cref="StackValues"/> and every older one stays
/// valid, which is what makes a snapshot of the whole state O(1). Size and the chain hash of the stack (the digest's
/// input) are O(1); a pop finds the hash below it by hashing fewer than <see cref="CheckpointEvery"/> values again.
///
/// The values are stored densely, as UTF-8 in chunks of up to <see cref="ChunkCapacity"/> values: about 24 bytes per
/// 16-byte value (its bytes, its end offset, an eighth of a chain hash) instead of the ~104 of a linked node and a
/// string object. A million values are then ~24 MB on every node rather than ~100 MB, and two million fewer objects
/// for the GC to mark. A version carries its own chain hash; a chunk keeps the chain after every
/// <see cref="CheckpointEvery"/>th value. Each value is stored as a snapshot writes it, a varint length and then its
/// UTF-8, so a snapshot copies a chunk's values as one range (<see cref="ForEachStoredRangeBottomUp"/>), straight into
/// its final array. A <see cref="StackValues"/> is a chunk and how many of its values it sees; every chunk below the
/// top one is full and never changes.
///
/// Chunks are append-only: a push writes past the last value the top chunk has ever held, so older versions (a
/// snapshot being serialized on another thread, a test holding an earlier state) never see it. Pushing onto a
/// version that does not see all of its chunk (a push after a pop) would overwrite a value that an older version
/// sees, so it copies the values it sees into a new chunk first: at most <see cref="ChunkCapacity"/> values.
/// </summary>
internal sealed class StackValues
{
    /// <summary>Values per chunk: small enough that copying a top chunk (a push after a pop) is cheap, large enough
    /// that a chunk's own overhead (~140 bytes) is a few bytes per value.</summary>
    public const int ChunkCapacity = 64;

    /// <summary>The empty stack: shared by every stack with no values.</summary>
    public static readonly StackValues Empty = new(null, 0, StackHashing.EmptyChain);

    /// <summary>Null only for <see cref="Empty"/>.</summary>
    private readonly Chunk? _chunk;

    /// <summary>How many of <see cref="_chunk"/>'s values this version sees: 1..ChunkCapacity (0 only for Empty).</summary>
    private readonly int _seen;

    private readonly ulong _chain;

    private StackValues(Chunk? chunk, int seen, ulong chain)
    {
        _chunk = chunk;
        _seen = seen;
        _chain = chain;
    }

    public long Count => _chunk is null ? 0 : _chunk.CountBelow + _seen;

    public bool IsEmpty => _chunk is null;

    /// <summary>The chain hash of the stack from the bottom up to its top value (<see cref="StackHashing.EmptyChain"/> when empty).</summary>
    public ulong ChainHash => _chain;

    /// <summary>The top value; the stack must not be empty.</summary>
    public string Value => WireWriter.StrictUtf8.GetString(TopUtf8);

    /// <summary>The top value's UTF-8 bytes; the stack must not be empty.</summary>
    public ReadOnlySpan<byte> TopUtf8 => _chunk is null
        ? throw new InvalidOperationException("The stack is empty.")
        : _chunk.Utf8Of(_seen - 1);

    /// <summary>The stack without its top value; the stack must not be empty.</summary>
    public StackValues Below => IsEmpty ? throw new InvalidOperationException("The stack is empty.") : Without(1);

    /// <summary>
    /// The stack without its top <paramref name="count"/> values (0..<see cref="Count"/>). Only the version returned
    /// gets its chain hash: a pop of many walks down the chunks instead of hashing its way through every version
    /// between.
    /// </summary>
    public StackValues Without(long count)
    {
        if (count < 0 || count > Count) throw new ArgumentOutOfRangeException(nameof(count), count, $"0..{Count}");
        if (count == 0) return this;
        var chunk = _chunk!;
        var seen = _seen;
        while (count >= seen)
        {
            count -= seen;
            if (chunk.Below is not { } below) return Empty; // count was exactly what the stack held
            if (count == 0) return new StackValues(below, ChunkCapacity, chunk.ChainBelow);
            chunk = below;
            seen = ChunkCapacity;
        }
        var left = seen - (int)count;
        return new StackValues(chunk, left, chunk.ChainAfter(left));
    }

    /// <summary>Pushes a value (which is valid UTF-16: commands and snapshots carry strict UTF-8).</summary>
    public StackValues Push(string value)
    {
        var length = WireWriter.StrictUtf8.GetByteCount(value);
        var stored = StoredLength(length);
        var chunk = ChunkFor(stored);
        var utf8 = WriteLengthPrefix(chunk.Reserve(stored), length);
        WireWriter.StrictUtf8.GetBytes(value, utf8);
        return Committed(chunk, stored, StackHashing.Chain(_chain, StackHashing.Hash(utf8)));
    }

    /// <summary>Pushes a value given as its UTF-8 bytes, already validated, and their hash (snapshot restore).</summary>
    public StackValues Push(ReadOnlySpan<byte> utf8, ulong valueHash)
    {
        var stored = StoredLength(utf8.Length);
        var chunk = ChunkFor(stored);
        utf8.CopyTo(WriteLengthPrefix(chunk.Reserve(stored), utf8.Length));
        return Committed(chunk, stored, StackHashing.Chain(_chain, valueHash));
    }

    /// <summary>The values from top to bottom (read from the chunks: no version, and so no chain hash, per step).</summary>
    public IEnumerable<string> TopDown()
    {
        var seen = _seen;
        for (var chunk = _chunk; chunk is not null; chunk = chunk.Below, seen = ChunkCapacity)
            for (var position = seen - 1; position >= 0; position--)
                yield return WireWriter.StrictUtf8.GetString(chunk.Utf8Of(position));
    }

    /// <summary>
    /// Calls <paramref name="write"/> with the stored form of the values, from the bottom of the stack to its top, a
    /// chunk's values at a time: each value's length as a varint, then its UTF-8 (what <see cref="WireWriter.WriteBytes(ReadOnlySpan{byte})"/>
    /// writes). A range never changes: later pushes write past it, and a grown array is a copy with the same prefix.
    /// </summary>
    public void ForEachStoredRangeBottomUp<TState>(TState state, StoredRangeVisitor<TState> write)
    {
        if (_chunk is null) return;
        var chunks = new Chunk[(int)(_chunk.CountBelow / ChunkCapacity) + 1];
        var n = 0;
        for (var chunk = _chunk; chunk is not null; chunk = chunk.Below) chunks[n++] = chunk;
        for (var c = n - 1; c >= 0; c--)
        {
            var (array, length) = chunks[c].StoredRange(c == 0 ? _seen : ChunkCapacity);
            write(state, array, length);
        }
    }

    /// <summary>How many bytes <see cref="ForEachStoredRangeBottomUp"/> hands out, in all.</summary>
    public long StoredBytes
    {
        get
        {
            long total = 0;
            var seen = _seen;
            for (var chunk = _chunk; chunk is not null; chunk = chunk.Below, seen = ChunkCapacity)
                total += chunk.StoredRange(seen).Length;
            return total;
        }
    }

    /// <summary>How many bytes the chunks' value arrays hold, used or not (what the values cost in memory, less the
    /// offsets and hashes): the room that growth leaves unused is the difference from <see cref="StoredBytes"/>.</summary>
    internal long ByteCapacity
    {
        get
        {
            long total = 0;
            for (var chunk = _chunk; chunk is not null; chunk = chunk.Below) total += chunk.ByteCapacity;
            return total;
        }
    }

    /// <summary>The stored values are <paramref name="array"/>[0..<paramref name="length"/>).</summary>
    public delegate void StoredRangeVisitor<in TState>(TState state, byte[] array, int length);

    /// <summary>A value's length (a varint) and its UTF-8 bytes.</summary>
    private static int StoredLength(int utf8Length) => WireWriter.VarUIntLength((uint)utf8Length) + utf8Length;

    /// <summary>Writes the varint length at the start of <paramref name="stored"/>; returns the room after it.</summary>
    private static Span<byte> WriteLengthPrefix(Span<byte> stored, int utf8Length) =>
        stored[WireWriter.WriteVarUInt(stored, (uint)utf8Length)..];

    /// <summary>The chunk the next value goes into, with room for it: this version's own top chunk when nothing was
    /// ever written past what it sees, else a copy of what it sees, or a fresh chunk above a full one.</summary>
    private Chunk ChunkFor(int length)
    {
        if (_chunk is null) return new Chunk(null, 0, StackHashing.EmptyChain, length, MinValueCapacity);
        if (_seen == ChunkCapacity) return new Chunk(_chunk, _chunk.CountBelow + ChunkCapacity, ChainHash, length, MinValueCapacity);
        if (_seen == _chunk.Written) return _chunk;
        return _chunk.CopyOfFirst(_seen, length);
    }

    private static StackValues Committed(Chunk chunk, int length, ulong chain)
    {
        chunk.Commit(length, chain);
        return new StackValues(chunk, chunk.Written, chain);
    }

    /// <summary>A chunk keeps the chain hash after every this many values: 1 byte per value, and a pop hashes fewer
    /// than this many values to find the chain below it.</summary>
    private const int CheckpointEvery = 8;

    /// <summary>A new chunk's arrays start with room for this many values and double up to <see cref="ChunkCapacity"/>.</summary>
    private const int MinValueCapacity = 4;

    /// <summary>
    /// Up to <see cref="ChunkCapacity"/> values, append-only. Only the state machine's thread writes; readers on other
    /// threads only read positions below what their version sees, which were written (and the arrays holding them
    /// published) before that version existed. A grown array is a copy with the same prefix, so a reader that still
    /// holds the old one reads the same values.
    /// </summary>
    private sealed class Chunk
    {
        private byte[] _bytes;
        private int[] _ends;
        private readonly ulong[] _checkpoints = new ulong[ChunkCapacity / CheckpointEvery];
        private int _byteLength;

        public Chunk(Chunk? below, long countBelow, ulong chainBelow, int byteCapacity, int valueCapacity)
        {
            Below = below;
            CountBelow = countBelow;
            ChainBelow = chainBelow;
            _bytes = new byte[Math.Max(64, byteCapacity)];
            _ends = new int[valueCapacity];
        }

        /// <summary>The full chunk under this one; null for the bottom chunk.</summary>
        public Chunk? Below { get; }

        /// <summary>How many values all the chunks below hold.</summary>
        public long CountBelow { get; }

        /// <summary>The chain hash of the stack just below this chunk's first value.</summary>
        public ulong ChainBelow { get; }

        /// <summary>How many values were ever written here (versions may see fewer).</summary>
        public int Written { get; private set; }

        /// <summary>The chain hash of the stack up to and including this chunk's first <paramref name="count"/> values:
        /// from the checkpoint at or below, the values after it hashed again.</summary>
        public ulong ChainAfter(int count)
        {
            var checkpoint = count / CheckpointEvery;
            var chain = checkpoint == 0 ? ChainBelow : _checkpoints[checkpoint - 1];
            for (var position = checkpoint * CheckpointEvery; position < count; position++)
                chain = StackHashing.Chain(chain, StackHashing.Hash(Utf8Of(position)));
            return chain;
        }

        /// <summary>The value's UTF-8: its stored bytes after the varint length.</summary>
        public ReadOnlySpan<byte> Utf8Of(int position)
        {
            var at = position == 0 ? 0 : _ends[position - 1];
            var end = _ends[position];
            var bytes = _bytes;
            while ((bytes[at++] & 0x80) != 0) { }
            return bytes.AsSpan(at, end - at);
        }

        public int ByteCapacity => _bytes.Length;

        /// <summary>The array holding the first <paramref name="count"/> values, and how many bytes they take in it.</summary>
        public (byte[] Array, int Length) StoredRange(int count) => (_bytes, count == 0 ? 0 : _ends[count - 1]);

        /// <summary>Room for the next value's <paramref name="length"/> stored bytes, after what was written;
        /// <see cref="Commit"/> then makes them a value.</summary>
        public Span<byte> Reserve(int length)
        {
            var needed = _byteLength + length;
            if (needed > _bytes.Length)
            {
                // Doubling alone would leave a full chunk of 16-byte values (1,088 bytes) in a 2,048-byte array: 15
                // bytes of every value's ~46. So grow no further than the values so far project for a full chunk.
                var projected = (int)Math.Min(Array.MaxLength, (long)needed * ChunkCapacity / (Written + 1));
                ResizeBytes(Math.Max(needed, Math.Min(_bytes.Length * 2, projected)));
            }
            return _bytes.AsSpan(_byteLength, length);
        }

        /// <summary>Makes the reserved bytes the next value; <paramref name="chain"/> is the stack's chain hash with it.</summary>
        public void Commit(int length, ulong chain)
        {
            var position = Written;
            if (position == _ends.Length)
            {
                var ends = new int[Math.Min(_ends.Length * 2, ChunkCapacity)];
                _ends.CopyTo(ends, 0);
                Volatile.Write(ref _ends, ends);
            }
            _byteLength += length;
            _ends[position] = _byteLength;
            if ((position + 1) % CheckpointEvery == 0) _checkpoints[position / CheckpointEvery] = chain;
            Written = position + 1;
            // A full chunk never changes again: when the projection fell short (values of uneven length), give back
            // the room no value will use.
            if (Written == ChunkCapacity && _bytes.Length - _byteLength > _byteLength / 8) ResizeBytes(_byteLength);
        }

        /// <summary>A copy with the same prefix: a reader still holding the old array reads the same values.</summary>
        private void ResizeBytes(int capacity)
        {
            var resized = new byte[capacity];
            _bytes.AsSpan(0, _byteLength).CopyTo(resized);
            Volatile.Write(ref _bytes, resized);
        }

        public Chunk CopyOfFirst(int count, int nextLength)
        {
            var bytes = count == 0 ? 0 : _ends[count - 1];
            var valueCapacity = Math.Max(MinValueCapacity, (int)BitOperations.RoundUpToPowerOf2((uint)count + 1));
            var copy = new Chunk(Below, CountBelow, ChainBelow, bytes + nextLength, valueCapacity);
            _bytes.AsSpan(0, bytes).CopyTo(copy._bytes);
            copy._byteLength = bytes;
            _ends.AsSpan(0, count).CopyTo(copy._ends);
            _checkpoints.AsSpan(0, count / CheckpointEvery).CopyTo(copy._checkpoints);
            copy.Written = count;
            return copy;
        }
    }
}
