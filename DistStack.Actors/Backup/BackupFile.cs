using System.Buffers.Binary;
using System.Security.Cryptography;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;
using DistStack.Actors.Wire;

namespace DistStack.Actors.Backup;

/// <summary>
/// The backup file (GET /cluster/snapshot, read by <c>DistStack.Host restore</c>). Little-endian:
/// <code>
///   [magic: 8 bytes "DSBACKUP"][format version: 1 byte = 1][header length: uint32]
///   [header: cluster id uint64, index int64, term int64, taken by node varint, taken at int64 Unix ms,
///            configuration (its log-entry encoding) as a length-prefixed block]
///   [state length: int64][state: the stack snapshot codec's bytes, as a Raft snapshot holds them]
///   [SHA-256 of every byte before it: 32 bytes]
/// </code>
/// The lengths say how long the file must be, so a truncated file is named as such before the checksum is even
/// computed; the checksum then refuses any changed byte, and the state must decode to the header's index.
/// </summary>
public static class BackupFile
{
    public const int FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "DSBACKUP"u8;

    private const int PreambleLength = 8 + 1 + 4;
    private const int ChecksumLength = 32;

    /// <summary>Everything before the state: magic, version, header, state length. Hash it, then the state.</summary>
    public static byte[] Prefix(BackupHeader header, long stateLength)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentOutOfRangeException.ThrowIfNegative(stateLength);
        byte[] encodedHeader;
        using (var writer = new WireWriter(128))
        {
            writer.WriteUInt64Fixed(header.ClusterId);
            writer.WriteInt64(header.Index);
            writer.WriteInt64(header.Term);
            writer.WriteVarUInt((ulong)header.TakenByNodeId);
            writer.WriteInt64(header.TakenAtUnixMs);
            writer.WriteBytes(header.Configuration.Encode());
            encodedHeader = writer.ToArray();
        }
        var prefix = new byte[PreambleLength + encodedHeader.Length + 8];
        Magic.CopyTo(prefix);
        prefix[8] = FormatVersion;
        BinaryPrimitives.WriteUInt32LittleEndian(prefix.AsSpan(9), (uint)encodedHeader.Length);
        encodedHeader.CopyTo(prefix, PreambleLength);
        BinaryPrimitives.WriteInt64LittleEndian(prefix.AsSpan(PreambleLength + encodedHeader.Length), stateLength);
        return prefix;
    }

    /// <summary>The whole file's length, for Content-Length.</summary>
    public static long Length(byte[] prefix, long stateLength) => prefix.Length + stateLength + ChecksumLength;

    /// <summary>Writes the file to <paramref name="destination"/> piece by piece, hashing as it goes (no second copy of the state).</summary>
    public static async Task WriteAsync(Stream destination, BackupHeader header, ReadOnlyMemory<byte> state, CancellationToken cancellationToken = default)
    {
        var prefix = Prefix(header, state.Length);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(prefix);
        hash.AppendData(state.Span);
        await destination.WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
        await destination.WriteAsync(state, cancellationToken).ConfigureAwait(false);
        await destination.WriteAsync(hash.GetHashAndReset(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The same file as <see cref="WriteAsync"/> writes, as bytes (tests, and anything that wants it in memory).</summary>
    public static byte[] ToBytes(BackupHeader header, ReadOnlySpan<byte> state)
    {
        var prefix = Prefix(header, state.Length);
        var file = new byte[Length(prefix, state.Length)];
        prefix.CopyTo(file, 0);
        state.CopyTo(file.AsSpan(prefix.Length));
        SHA256.HashData(file.AsSpan(0, file.Length - ChecksumLength), file.AsSpan(file.Length - ChecksumLength));
        return file;
    }

    /// <summary>A file name that says what it holds: diststack-&lt;cluster id&gt;-&lt;index&gt;.backup.</summary>
    public static string FileNameFor(BackupHeader header) =>
        $"diststack-{Hosting.ClusterIdentity.Format(header.ClusterId)}-{header.Index}.backup";

    /// <summary>
    /// Checks and decodes a whole file. Throws <see cref="BackupFormatException"/> saying what is wrong: not a
    /// backup, another format version, truncated, trailing bytes, checksum mismatch, or a state that does not
    /// decode to the header's index.
    /// </summary>
    public static (BackupHeader Header, byte[] State) Read(ReadOnlySpan<byte> file)
    {
        if (file.Length < Magic.Length || !file[..Magic.Length].SequenceEqual(Magic))
            throw new BackupFormatException(file.Length >= Magic.Length || !Magic.StartsWith(file)
                ? "not a DistStack backup (its first bytes are not the DSBACKUP magic)"
                : $"truncated: {file.Length} bytes, not even the DSBACKUP magic");
        if (file.Length < PreambleLength)
            throw new BackupFormatException($"truncated: {file.Length} bytes, shorter than the backup preamble");
        var version = file[8];
        if (version != FormatVersion)
            throw new BackupFormatException(
                $"backup format version {version}; this build reads version {FormatVersion} (written by a newer DistStack?)");
        var headerLength = BinaryPrimitives.ReadUInt32LittleEndian(file[9..]);
        var stateLengthAt = PreambleLength + (long)headerLength;
        if (file.Length < stateLengthAt + 8)
            throw new BackupFormatException($"truncated: {file.Length} bytes, the header alone needs {stateLengthAt + 8}");
        var stateLength = BinaryPrimitives.ReadInt64LittleEndian(file[(int)stateLengthAt..]);
        var expected = stateLengthAt + 8 + stateLength + ChecksumLength;
        if (stateLength < 0 || expected < 0)
            throw new BackupFormatException($"corrupt: state length {stateLength}");
        if (file.Length < expected)
            throw new BackupFormatException($"truncated: {file.Length} bytes, the header says the file has {expected}");
        if (file.Length > expected)
            throw new BackupFormatException($"corrupt: {file.Length - expected} unexpected bytes after the checksum");

        var covered = file[..(int)(expected - ChecksumLength)];
        Span<byte> actual = stackalloc byte[ChecksumLength];
        SHA256.HashData(covered, actual);
        if (!actual.SequenceEqual(file[(int)(expected - ChecksumLength)..]))
            throw new BackupFormatException("checksum mismatch: the file was changed or damaged after it was written");

        BackupHeader header;
        try
        {
            var reader = new WireReader(file.Slice(PreambleLength, (int)headerLength), "backup header");
            var clusterId = reader.ReadUInt64Fixed();
            var index = reader.ReadInt64();
            var term = reader.ReadInt64();
            var node = reader.ReadVarUInt();
            var takenAt = reader.ReadInt64();
            var configuration = ClusterConfiguration.Decode(reader.ReadByteSpan());
            reader.EnsureEnd();
            if (index < 1 || term < 0 || node > int.MaxValue)
                throw new FormatException($"index {index}, term {term}, node {node} out of range");
            header = new BackupHeader(clusterId, index, term, configuration, (int)node, takenAt);
        }
        catch (FormatException e)
        {
            throw new BackupFormatException($"corrupt header: {e.Message}", e);
        }

        var state = covered[(int)(stateLengthAt + 8)..].ToArray();
        long appliedIndex;
        try
        {
            appliedIndex = StackSnapshotCodec.Read(state, new StackStateOptions()).AppliedIndex;
        }
        catch (FormatException e)
        {
            throw new BackupFormatException($"the state does not decode: {e.Message}", e);
        }
        if (appliedIndex != header.Index)
            throw new BackupFormatException($"corrupt: the header says index {header.Index}, the state was taken at {appliedIndex}");
        return (header, state);
    }
}
