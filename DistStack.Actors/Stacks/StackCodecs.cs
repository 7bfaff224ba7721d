using System.Collections.Immutable;
using System.Text.Unicode;
using DistStack.Actors.Wire;

namespace DistStack.Actors.Stacks;

/// <summary>
/// Binary form of a command inside a Raft log entry (and of a command forwarded to the leader). Versioned: log
/// entries are kept forever.
/// Layout (version 2): [version=2][kind][flags: bit 0 = the client chose the key][stamp: varint, Unix ms, 0 =
/// none][request key][stack id][value, push only]; strings are a varint byte length then UTF-8.
/// Version 3 is version 2 plus two kinds: 5 = push many, [count: varint][values, first pushed first]; 6 = pop many,
/// [count: varint]. The four older kinds are still written as version 2, byte for byte, so a cluster that never
/// proposes a batch writes exactly what older builds read. A build that only reads version 2 refuses a version-3
/// entry (it must stop applying, never skip it), so a leader proposes version 3 only once every member has said it
/// reads it (<see cref="DistStack.Actors.Shell.CommandFormatGate"/>).
/// Version 1, still read, had no flags and no stamp: its keys read as generated, its stamp as none.
/// </summary>
public static class StackCommandCodec
{
    /// <summary>The newest version this build reads and writes (what a member advertises it can apply).</summary>
    public const byte CurrentVersion = 3;

    /// <summary>The version of the four original kinds, still written for them unchanged.</summary>
    public const byte SingleValueVersion = 2;

    private const byte WithoutStamp = 1;

    private const byte Create = 1;
    private const byte Delete = 2;
    private const byte Push = 3;
    private const byte Pop = 4;
    private const byte PushMany = 5;
    private const byte PopMany = 6;

    private const byte KeyFromClientFlag = 1;

    /// <summary>
    /// Encodes a command, with the time its leader proposes it at (<paramref name="stampedAtMs"/>, Unix ms; 0 for
    /// a command on its way to the leader). Throws <see cref="ArgumentException"/> for a command that could not be
    /// stored faithfully (null strings, a lone UTF-16 surrogate); <see cref="Validate"/> says so without throwing.
    /// </summary>
    public static byte[] Encode(StackCommand command, long stampedAtMs = 0)
    {
        var problem = Validate(command);
        if (problem is not null) throw new ArgumentException(problem, nameof(command));
        ArgumentOutOfRangeException.ThrowIfNegative(stampedAtMs);
        using var writer = new WireWriter(24 + command.RequestKey.Length + command.StackId.Length + command switch
        {
            PushValue p => p.Value.Length,
            PushValues p => p.Values.Sum(v => v.Length + 2),
            _ => 0,
        });
        writer.WriteByte(VersionOf(command));
        writer.WriteByte(command switch
        {
            CreateStack => Create,
            DeleteStack => Delete,
            PushValue => Push,
            PopValue => Pop,
            PushValues => PushMany,
            PopValues => PopMany,
            _ => throw new ArgumentException($"Unknown stack command type {command.GetType().Name}.", nameof(command)),
        });
        writer.WriteByte(command.KeyFromClient ? KeyFromClientFlag : (byte)0);
        writer.WriteVarUInt((ulong)stampedAtMs);
        writer.WriteString(command.RequestKey);
        writer.WriteString(command.StackId);
        switch (command)
        {
            case PushValue push:
                writer.WriteString(push.Value);
                break;
            case PushValues pushMany:
                writer.WriteVarUInt((ulong)pushMany.Values.Count);
                foreach (var value in pushMany.Values) writer.WriteString(value);
                break;
            case PopValues popMany:
                writer.WriteVarUInt((ulong)popMany.Count);
                break;
        }
        return writer.ToArray();
    }

    /// <summary>The format version a command is written in: what every member must read before it may be proposed.</summary>
    public static byte VersionOf(StackCommand command) =>
        command is PushValues or PopValues ? CurrentVersion : SingleValueVersion;

    public static StackCommand Decode(ReadOnlySpan<byte> bytes) => Decode(bytes, out _);

    /// <summary>Decodes a command and the time its leader stamped on it (0: none).</summary>
    public static StackCommand Decode(ReadOnlySpan<byte> bytes, out long stampedAtMs)
    {
        var reader = new WireReader(bytes, "stack command");
        var version = reader.ReadByte();
        if (version is not (CurrentVersion or SingleValueVersion or WithoutStamp))
            throw new FormatException(
                $"Unknown stack command format version {version} (this build reads versions {WithoutStamp}-{CurrentVersion}); " +
                "the log was written by a newer DistStack or is corrupt.");
        var kind = reader.ReadByte();
        var keyFromClient = false;
        stampedAtMs = 0;
        if (version >= SingleValueVersion)
        {
            var flags = reader.ReadByte();
            if ((flags & ~KeyFromClientFlag) != 0) throw reader.Malformed($"unknown command flags {flags}");
            keyFromClient = flags == KeyFromClientFlag;
            var stamp = reader.ReadVarUInt();
            if (stamp > long.MaxValue) throw reader.Malformed($"stamp {stamp} out of range");
            stampedAtMs = (long)stamp;
        }
        var requestKey = reader.ReadString();
        var stackId = reader.ReadString();
        StackCommand command = kind switch
        {
            Create => new CreateStack(requestKey, stackId),
            Delete => new DeleteStack(requestKey, stackId),
            Push => new PushValue(requestKey, stackId, reader.ReadString()),
            Pop => new PopValue(requestKey, stackId),
            PushMany when version == CurrentVersion => new PushValues(requestKey, stackId, ReadValues(ref reader)),
            PopMany when version == CurrentVersion => new PopValues(requestKey, stackId, ReadPopCount(ref reader)),
            _ => throw reader.Malformed($"unknown command kind {kind} in version {version}"),
        };
        if (version == CurrentVersion && command is not (PushValues or PopValues))
            throw reader.Malformed($"command kind {kind} is written as version {SingleValueVersion}, not {version}");
        reader.EnsureEnd();
        return keyFromClient ? command with { KeyFromClient = true } : command;
    }

    private static string[] ReadValues(ref WireReader reader)
    {
        var count = reader.ReadCount();
        if (count is < 1 or > PushValues.MaxValues) throw reader.Malformed($"{count} values in one push (1 to {PushValues.MaxValues})");
        var values = new string[count];
        for (var i = 0; i < count; i++) values[i] = reader.ReadString();
        return values;
    }

    private static int ReadPopCount(ref WireReader reader)
    {
        var count = reader.ReadVarUInt();
        if (count is < 1 or > PopValues.MaxCount) throw reader.Malformed($"pop of {count} values (1 to {PopValues.MaxCount})");
        return (int)count;
    }

    /// <summary>Null if the command can be encoded, otherwise why not (for a 400 before anything is proposed).</summary>
    public static string? Validate(StackCommand? command)
    {
        if (command is null) return "The command is missing.";
        if (command is not (CreateStack or DeleteStack or PushValue or PopValue or PushValues or PopValues))
            return $"Unknown stack command type {command.GetType().Name}.";
        if (command is PushValues { Values: null }) return "The values to push are missing.";
        if (command is PushValues { Values.Count: < 1 or > PushValues.MaxValues })
            return $"A push of many carries 1 to {PushValues.MaxValues} values.";
        if (command is PushValues many && many.Values.Any(v => v is null || !IsWellFormed(v)))
            return "A value is missing or not well-formed Unicode text.";
        if (command is PopValues { Count: < 1 or > PopValues.MaxCount }) return $"A pop of many takes 1 to {PopValues.MaxCount} values.";
        if (command.RequestKey is null) return "The request key is missing.";
        if (command.StackId is null) return "The stack id is missing.";
        if (command is PushValue { Value: null }) return "The value to push is missing.";
        if (!IsWellFormed(command.RequestKey)) return "The request key is not well-formed Unicode text.";
        if (!IsWellFormed(command.StackId)) return "The stack id is not well-formed Unicode text.";
        if (command is PushValue push && !IsWellFormed(push.Value)) return "The value is not well-formed Unicode text.";
        return null;
    }

    /// <summary>False for a string holding a lone surrogate, which UTF-8 cannot represent.</summary>
    public static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else return false;
        }
        return true;
    }
}

/// <summary>
/// Binary, versioned snapshot of a whole <see cref="StackState"/> including the request-key table.
/// Layout (version 3; version 2, still read, has no clock and no key kinds or times; version 1 not even fingerprints):
/// [version=3][applied index: int64][log clock: int64, Unix ms][stack count: varint]
///   per stack (ordinal id order): [id][value count: varint][values bottom to top]
/// [request-key count: varint]
///   per key (index order): [key][index: int64][kind: 1 = client-chosen, 0 = generated][recorded at: int64, Unix ms]
///   [result][command fingerprint: uint64]
/// [digest: uint64] — recomputed on read and compared, so a corrupt snapshot is refused instead of installed.
/// A result is [outcome][flags: bit 0 = has value, bit 1 = has values][value?][size: zigzag varint][values?: count,
/// then each]. Only a pop of many records values (bit 1), so a state that never saw one writes what version 3 always
/// wrote; an older build refuses the flag rather than misread it.
/// Version 4, the one written: [version=4][length of the version 3 snapshot: varint][that snapshot, Brotli-compressed].
/// Stack values are often alike (counters, ids, JSON), and a snapshot's bytes are held several times over while it is
/// saved (here, in the snapshot store's serialized copy, in SQLite's copies of the blob): compressed, that peak is a
/// fraction of the state's size instead of about four times it, and restarts, backups and snapshots sent to lagging
/// followers carry less.
/// </summary>
public static class StackSnapshotCodec
{
    public const byte CurrentVersion = 4;

    /// <summary>The layout above, uncompressed: what version 4 compresses.</summary>
    private const byte Uncompressed = 3;

    /// <summary>Brotli quality 1 of 11: about as fast as the snapshot is written (it is the state machine's copy of
    /// its state, made off its thread), and most of the size reduction the higher qualities get on repetitive values.</summary>
    private const int CompressionQuality = 1;

    /// <summary>Snapshots written before request keys kept their command's fingerprint.</summary>
    private const byte WithoutFingerprints = 1;

    /// <summary>Snapshots written before client keys were kept for a time window (every key read as generated).</summary>
    private const byte WithoutClock = 2;

    /// <param name="sizeHint">The expected size in bytes (the last snapshot's and what was applied since): the
    /// scratch buffer, which holds all but the values (those are copied from their chunks once, into the result),
    /// starts at that less the values' bytes instead of growing through every power of two to it.</param>
    /// <param name="compressed">Version 4 (the default), or version 3 for a cluster with members that do not read
    /// version 4 yet (Shell/CommandFormatGate).</param>
    public static byte[] Write(StackState state, long sizeHint = 4096, bool compressed = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var ids = state.StackIds();
        long valueBytes = 0;
        foreach (var id in ids) valueBytes += state.ValuesOf(id).StoredBytes;
        using var writer = new WireWriter((int)Math.Clamp(sizeHint - valueBytes, 4096, Array.MaxLength));
        writer.WriteByte(Uncompressed);
        writer.WriteInt64(state.AppliedIndex);
        writer.WriteInt64(state.ClockMs);
        writer.WriteVarUInt((ulong)ids.Count);

        foreach (var id in ids)
        {
            var values = state.ValuesOf(id);
            writer.WriteString(id);
            writer.WriteVarUInt((ulong)values.Count);
            // Bottom to top, so the reader can push them as it reads. Stored as WriteBytes writes them, so a chunk's
            // values are one range, referenced here and copied once by ToArray.
            values.ForEachStoredRangeBottomUp(writer, static (w, array, length) => w.WriteReferenced(array, 0, length));
        }

        var keys = state.RequestKeys;
        writer.WriteVarUInt((ulong)keys.Count);
        foreach (var recorded in keys.InIndexOrder())
        {
            writer.WriteString(recorded.Key);
            writer.WriteInt64(recorded.Index);
            writer.WriteByte(recorded.FromClient ? (byte)1 : (byte)0);
            writer.WriteInt64(recorded.RecordedAtMs);
            WriteResult(writer, recorded.Result);
            writer.WriteUInt64Fixed(recorded.Fingerprint);
        }

        writer.WriteUInt64Fixed(state.Digest);
        return compressed ? CompressedBytes.Write(CurrentVersion, writer, CompressionQuality) : writer.ToArray();
    }

    /// <summary>How many bytes the state takes uncompressed (what the snapshot schedule weighs against the log).</summary>
    public static long StateLength(ReadOnlySpan<byte> snapshot)
    {
        if (snapshot.IsEmpty || snapshot[0] != CurrentVersion) return snapshot.Length;
        return CompressedBytes.UncompressedLength(snapshot, "stack snapshot");
    }

    public static StackState Read(ReadOnlySpan<byte> bytes, StackStateOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (bytes.IsEmpty || bytes[0] != CurrentVersion) return ReadUncompressed(bytes, options);
        var uncompressed = CompressedBytes.Read(bytes, "stack snapshot");
        if (uncompressed.Length > 0 && uncompressed[0] == CurrentVersion)
            throw new FormatException("Malformed stack snapshot: it compresses a compressed snapshot.");
        return ReadUncompressed(uncompressed, options);
    }

    private static StackState ReadUncompressed(ReadOnlySpan<byte> bytes, StackStateOptions options)
    {
        var reader = new WireReader(bytes, "stack snapshot");
        var version = reader.ReadByte();
        if (version is not (Uncompressed or WithoutClock or WithoutFingerprints))
            throw new FormatException(
                $"Unknown stack snapshot format version {version} (this build reads versions {WithoutFingerprints}-{CurrentVersion}); " +
                "the snapshot was written by a newer DistStack or is corrupt.");
        var appliedIndex = reader.ReadInt64();
        if (appliedIndex < 0) throw reader.Malformed($"negative applied index {appliedIndex}");
        var clockMs = version >= Uncompressed ? reader.ReadInt64() : 0;
        if (clockMs < 0) throw reader.Malformed($"negative log clock {clockMs}");

        var stackCount = reader.ReadCount();
        var stacks = ImmutableDictionary.CreateBuilder<string, StackValues>(StringComparer.Ordinal);
        for (var s = 0; s < stackCount; s++)
        {
            var id = reader.ReadString();
            var count = reader.ReadCount();
            var top = StackValues.Empty;
            for (var v = 0; v < count; v++)
            {
                var utf8 = reader.ReadByteSpan();
                // Values are kept as UTF-8: checked here, never decoded until read.
                if (!Utf8.IsValid(utf8)) throw reader.Malformed($"a value of stack '{id}' is not valid UTF-8");
                top = top.Push(utf8, StackHashing.Hash(utf8));
            }
            if (!stacks.TryAdd(id, top)) throw reader.Malformed($"stack id '{id}' appears twice");
        }

        var keyCount = reader.ReadCount();
        var entries = new RecordedKey[keyCount];
        var seen = new HashSet<string>(keyCount, StringComparer.Ordinal);
        var previousIndex = 0L;
        for (var k = 0; k < keyCount; k++)
        {
            var key = reader.ReadString();
            var index = reader.ReadInt64();
            if (index < previousIndex || index > appliedIndex)
                throw reader.Malformed($"request key recorded at index {index} is out of order or after the applied index {appliedIndex}");
            if (!seen.Add(key)) throw reader.Malformed($"request key '{key}' appears twice");
            previousIndex = index;
            var fromClient = false;
            var recordedAtMs = 0L;
            if (version >= Uncompressed)
            {
                var kind = reader.ReadByte();
                if (kind > 1) throw reader.Malformed($"unknown request key kind {kind}");
                fromClient = kind == 1;
                recordedAtMs = reader.ReadInt64();
                if (recordedAtMs < 0 || recordedAtMs > clockMs)
                    throw reader.Malformed($"request key '{key}' recorded at {recordedAtMs}, outside the log clock 0..{clockMs}");
            }
            var result = ReadResult(ref reader);
            var fingerprint = version == WithoutFingerprints ? 0UL : reader.ReadUInt64Fixed();
            entries[k] = new RecordedKey(key, index, recordedAtMs, fromClient, result, fingerprint);
        }

        var expectedDigest = reader.ReadUInt64Fixed();
        reader.EnsureEnd();

        var state = StackState.Restore(options, stacks.ToImmutable(), RequestKeyTable.FromIndexOrder(entries), appliedIndex, clockMs);
        if (state.Digest != expectedDigest)
            throw reader.Malformed(
                $"its contents hash to digest {state.Digest:x16} but it was written with digest {expectedDigest:x16} (corrupt)");
        return state;
    }

    internal static void WriteResult(WireWriter writer, StackResult result)
    {
        writer.WriteByte((byte)result.Outcome);
        writer.WriteByte((byte)((result.Value is null ? 0 : HasValueFlag) | (result.Values is null ? 0 : HasValuesFlag)));
        if (result.Value is not null) writer.WriteString(result.Value);
        writer.WriteVarInt(result.Size);
        if (result.Values is null) return;
        writer.WriteVarUInt((ulong)result.Values.Count);
        foreach (var value in result.Values) writer.WriteString(value);
    }

    private const byte HasValueFlag = 1;
    private const byte HasValuesFlag = 2;

    internal static StackResult ReadResult(ref WireReader reader)
    {
        var outcome = reader.ReadByte();
        if (outcome > (byte)StackOutcome.RequestKeysFull) throw reader.Malformed($"unknown outcome {outcome}");
        var flags = reader.ReadByte();
        if ((flags & ~(HasValueFlag | HasValuesFlag)) != 0) throw reader.Malformed($"unknown result flags {flags}");
        var value = (flags & HasValueFlag) != 0 ? reader.ReadString() : null;
        var size = reader.ReadVarInt();
        if ((flags & HasValuesFlag) == 0) return new StackResult((StackOutcome)outcome, value, size);
        var values = new string[reader.ReadCount()];
        for (var i = 0; i < values.Length; i++) values[i] = reader.ReadString();
        return new StackResult((StackOutcome)outcome, value, size, values);
    }
}
