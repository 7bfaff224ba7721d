namespace DistStack.Actors.Stacks;

/// <summary>
/// The request keys of one kind that are still remembered, in recording order: keys join at the tail and expire
/// from the head, never anywhere else. Persistent like the rest of <see cref="StackState"/> (a window never
/// changes once made), but not built from tree nodes: an immutable AVL dictionary of ~200,000 keys cost a path copy
/// of some eighteen nodes per add and per expiry (about 16 µs per applied entry, most of a restart's replay, and the
/// old-generation garbage behind most of the heap's fragmentation).
///
/// Instead, every window of one lineage shares append-only storage: fixed-size chunks of entries and one
/// open-addressing hash index from key to position. A window is only the range [head, tail) it may see. Appending
/// writes past every older window's tail, so older windows (a snapshot being serialized on another thread, a test
/// holding an earlier state) never see it; expiry only moves the head, and the index skips positions outside the
/// range. Appending to a window that is not the newest of its lineage (a branch: a test applying to an older state)
/// would overwrite what a newer window sees, so it copies the live entries first. Results never depend on what is
/// shared: only on the range and what was appended into it.
/// </summary>
internal sealed class RecordedKeyWindow
{
    /// <summary>Entries per chunk: a chunk of 72-byte entries stays below the large-object heap's 85,000 bytes.</summary>
    private const int ChunkBits = 10;
    private const int ChunkSize = 1 << ChunkBits;
    private const int MinIndexSlots = 1024;

    /// <summary>No entries and no storage: each lineage makes its own at its first append, so none is shared.</summary>
    public static readonly RecordedKeyWindow Empty = new([], 0, 0, 0, null);

    /// <summary>The chunks that still hold live entries; chunk k holds positions <c>_firstChunkStart + k * ChunkSize</c> on.</summary>
    private readonly Chunk[] _chunks;
    private readonly long _firstChunkStart;
    private readonly KeyIndex? _index;

    private RecordedKeyWindow(Chunk[] chunks, long firstChunkStart, long head, long tail, KeyIndex? index)
    {
        _chunks = chunks;
        _firstChunkStart = firstChunkStart;
        Head = head;
        Tail = tail;
        _index = index;
    }

    /// <summary>The position (in recording order, from 0 for this lineage) of the oldest live entry.</summary>
    private long Head { get; }

    /// <summary>One past the position of the newest entry.</summary>
    private long Tail { get; }

    public int Count => (int)(Tail - Head);

    public bool IsEmpty => Tail == Head;

    /// <summary>The oldest live entry; the window must not be empty.</summary>
    public RecordedKey Oldest => At(Head).ToRecordedKey();

    /// <summary>The log index of the oldest live entry (what expiry reads on every applied entry, without rebuilding it).</summary>
    public long OldestIndex => At(Head).Index;

    /// <summary>The log time of the oldest live entry.</summary>
    public long OldestRecordedAtMs => At(Head).RecordedAtMs;

    public bool TryGet(string key, ulong keyHash, out RecordedKey recorded)
    {
        recorded = default;
        if (_index is null) return false;
        var slots = _index.Slots;
        var mask = slots.Length - 1;
        for (var slot = (int)(keyHash & (ulong)mask); ; slot = (slot + 1) & mask)
        {
            var stored = slots[slot];
            if (stored == 0) break;
            var position = _index.Base + stored - 1;
            // Positions before the head expired; positions from the tail on belong to a newer window of the lineage.
            if (position < Head || position >= Tail) continue;
            ref readonly var candidate = ref At(position);
            if (candidate.Text is null
                    ? HexRequestKey.Matches(candidate.HexHigh, candidate.HexLow, key)
                    : string.Equals(candidate.Text, key, StringComparison.Ordinal))
            {
                recorded = candidate.ToRecordedKey(key);
                return true;
            }
        }
        return false;
    }

    /// <summary>A window with <paramref name="recorded"/> after every entry of this one.</summary>
    public RecordedKeyWindow Append(RecordedKey recorded, ulong keyHash) => Append(StoredKey.From(recorded), keyHash);

    private RecordedKeyWindow Append(in StoredKey stored, ulong keyHash)
    {
        var offset = Tail - _firstChunkStart;
        var chunkNumber = (int)(offset >> ChunkBits);
        var slotInChunk = (int)(offset & (ChunkSize - 1));
        var newest = _index is null || _index.InsertedUpTo == Tail;
        if (!newest || (chunkNumber < _chunks.Length && _chunks[chunkNumber].Filled != slotInChunk))
            return Branched().Append(stored, keyHash);

        var chunks = _chunks;
        if (chunkNumber == chunks.Length)
        {
            chunks = new Chunk[chunks.Length + 1];
            Array.Copy(_chunks, chunks, _chunks.Length);
            chunks[^1] = new Chunk();
        }
        chunks[chunkNumber].Entries[slotInChunk] = stored;
        chunks[chunkNumber].Filled = slotInChunk + 1;

        var index = _index is not null && _index.HasRoomForOneMore ? _index : Reindexed(extra: 1);
        index.Insert(keyHash, Tail);
        return new RecordedKeyWindow(chunks, _firstChunkStart, Head, Tail + 1, index);
    }

    /// <summary>This window without its oldest entry; the window must not be empty.</summary>
    public RecordedKeyWindow WithoutOldest()
    {
        var head = Head + 1;
        var droppable = (int)((head - _firstChunkStart) >> ChunkBits);
        if (droppable == 0) return new RecordedKeyWindow(_chunks, _firstChunkStart, head, Tail, _index);
        return new RecordedKeyWindow(_chunks[droppable..], _firstChunkStart + ((long)droppable << ChunkBits), head, Tail, _index);
    }

    /// <summary>The live entries, oldest first.</summary>
    public IEnumerable<RecordedKey> InOrder()
    {
        for (var position = Head; position < Tail; position++) yield return At(position).ToRecordedKey();
    }

    private ref readonly StoredKey At(long position)
    {
        var offset = position - _firstChunkStart;
        return ref _chunks[(int)(offset >> ChunkBits)].Entries[(int)(offset & (ChunkSize - 1))];
    }

    /// <summary>A copy of the live entries into storage of its own, so that appending changes nothing another window sees.</summary>
    private RecordedKeyWindow Branched()
    {
        var copy = new RecordedKeyWindow([], Head, Head, Head, null);
        for (var position = Head; position < Tail; position++)
        {
            ref readonly var entry = ref At(position);
            copy = copy.Append(entry, entry.KeyHash());
        }
        return copy;
    }

    /// <summary>A fresh index of the live entries with room for <paramref name="extra"/> more, at most half full.</summary>
    private KeyIndex Reindexed(int extra)
    {
        var needed = Count + extra;
        var slots = MinIndexSlots;
        while (slots < 4L * needed) slots <<= 1;
        var index = new KeyIndex(slots, Head);
        for (var position = Head; position < Tail; position++) index.Insert(At(position).KeyHash(), position);
        return index;
    }

    /// <summary>Append-only storage for <see cref="ChunkSize"/> entries, shared by the windows of one lineage.</summary>
    private sealed class Chunk
    {
        public readonly StoredKey[] Entries = new StoredKey[ChunkSize];

        /// <summary>How many entries the newest window of the lineage wrote; a window whose tail is not here is a branch.</summary>
        public int Filled;
    }

    /// <summary>
    /// A <see cref="RecordedKey"/> as a chunk holds it. Most keys are a node's generated ones (32 hex digits: 88 bytes
    /// as a string) and most results an outcome and a size (48 bytes as a <see cref="StackResult"/> of their own):
    /// those two are held inline (<see cref="HexRequestKey"/>, <see cref="Outcome"/> and <see cref="Size"/>), 72
    /// bytes per key instead of ~184, and rebuilt only when an entry is read out (a retry's lookup, a snapshot).
    /// </summary>
    private struct StoredKey
    {
        /// <summary>The key, unless it packs into <see cref="HexHigh"/> and <see cref="HexLow"/>.</summary>
        public string? Text;
        public ulong HexHigh;
        public ulong HexLow;
        public long Index;
        public long RecordedAtMs;
        public ulong Fingerprint;
        public long Size;
        /// <summary>The result, when it carries more than <see cref="Outcome"/> and <see cref="Size"/> (a popped value).</summary>
        public StackResult? FullResult;
        public StackOutcome Outcome;
        public bool FromClient;

        public static StoredKey From(in RecordedKey recorded)
        {
            var stored = new StoredKey
            {
                Index = recorded.Index,
                RecordedAtMs = recorded.RecordedAtMs,
                Fingerprint = recorded.Fingerprint,
                FromClient = recorded.FromClient,
                Outcome = recorded.Result.Outcome,
                Size = recorded.Result.Size,
            };
            if (recorded.Result.Value is not null || recorded.Result.Values is not null) stored.FullResult = recorded.Result;
            if (HexRequestKey.TryPack(recorded.Key, out var high, out var low)) (stored.HexHigh, stored.HexLow) = (high, low);
            else stored.Text = recorded.Key;
            return stored;
        }

        /// <summary>The entry as recorded; <paramref name="knownKey"/> is its key when the caller already has it.</summary>
        public readonly RecordedKey ToRecordedKey(string? knownKey = null) =>
            new(knownKey ?? Text ?? HexRequestKey.Unpack(HexHigh, HexLow), Index, RecordedAtMs, FromClient,
                FullResult ?? new StackResult(Outcome, Size: Size), Fingerprint);

        public readonly ulong KeyHash() => Text is null ? HexRequestKey.Hash(HexHigh, HexLow) : StackHashing.Hash(Text);
    }

    /// <summary>
    /// Key hash → position, linear probing, never more than half full. Positions are stored as offsets from
    /// <see cref="Base"/> plus one (0 marks an empty slot). Entries are never removed: windows skip positions outside
    /// their range, and a window that needs room builds a new index of its live entries instead.
    /// </summary>
    private sealed class KeyIndex(int slots, long basePosition)
    {
        public readonly int[] Slots = new int[slots];
        public readonly long Base = basePosition;
        private int _used;

        /// <summary>One past the last position inserted: only the window whose tail this is may insert.</summary>
        public long InsertedUpTo { get; private set; } = basePosition;

        public bool HasRoomForOneMore => 2L * (_used + 1) <= Slots.Length && InsertedUpTo - Base < int.MaxValue - 1;

        public void Insert(ulong keyHash, long position)
        {
            var mask = Slots.Length - 1;
            var slot = (int)(keyHash & (ulong)mask);
            while (Slots[slot] != 0) slot = (slot + 1) & mask;
            Slots[slot] = (int)(position - Base) + 1;
            _used++;
            InsertedUpTo = position + 1;
        }
    }
}
