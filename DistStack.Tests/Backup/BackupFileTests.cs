using System.Buffers.Binary;
using DistStack.Actors.Backup;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;

namespace DistStack.Tests.Backup;

/// <summary>The backup file: what is written reads back exactly; anything truncated, changed or foreign is refused, saying why.</summary>
public sealed class BackupFileTests
{
    private static readonly StackStateOptions Options = new();

    /// <summary>A state applied up to index 6: two stacks (one with non-ASCII values), a deleted one, request keys.</summary>
    private static StackState SampleState()
    {
        var state = StackState.Empty(Options);
        (state, _) = state.Apply(1, new CreateStack("k1", "orders"), 1_000);
        (state, _) = state.Apply(2, new PushValue("k2", "orders", "a,b"), 1_001);
        (state, _) = state.Apply(3, new PushValue("k3", "orders", "zürich 🚀") { KeyFromClient = true }, 1_002);
        (state, _) = state.Apply(4, new CreateStack("k4", "empty"), 1_003);
        (state, _) = state.Apply(5, new CreateStack("k5", "gone"), 1_004);
        (state, _) = state.Apply(6, new DeleteStack("k6", "gone"), 1_005);
        return state;
    }

    private static readonly BackupHeader Header = new(0xDEADBEEFCAFEF00DUL, 6, 3, ClusterConfiguration.Of(1, 2, 3).WithLearners(4), 2, 1_764_000_000_000);

    private static byte[] SampleFile() => BackupFile.ToBytes(Header, StackSnapshotCodec.Write(SampleState()));

    [Fact]
    public void A_backup_reads_back_with_its_header_and_exactly_its_state()
    {
        var original = SampleState();
        var (header, state) = BackupFile.Read(SampleFile());

        Assert.Equal(Header, header);
        var restored = StackSnapshotCodec.Read(state, Options);
        Assert.Equal(original.Digest, restored.Digest);
        Assert.Equal(6, restored.AppliedIndex);
        Assert.Equal(["empty", "orders"], restored.StackIds().Order(StringComparer.Ordinal));
        Assert.Equal(new StackResult(StackOutcome.Ok, "zürich 🚀"), restored.Query(new TopOfStack("orders")));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 2), restored.Query(new SizeOfStack("orders")));
        Assert.Equal(original.RequestKeys.Count, restored.RequestKeys.Count);
    }

    [Fact]
    public void The_file_starts_with_the_magic_and_the_format_version_and_names_itself_after_cluster_and_index()
    {
        var file = SampleFile();
        Assert.Equal("DSBACKUP"u8.ToArray(), file[..8]);
        Assert.Equal(BackupFile.FormatVersion, file[8]);
        Assert.Equal("diststack-deadbeefcafef00d-6.backup", BackupFile.FileNameFor(Header));
        var state = StackSnapshotCodec.Write(SampleState());
        Assert.Equal(file.Length, BackupFile.Length(BackupFile.Prefix(Header, state.Length), state.Length));
    }

    [Fact]
    public void Every_truncation_is_refused_as_truncated()
    {
        var file = SampleFile();
        for (var length = 0; length < file.Length; length++)
        {
            var error = Assert.Throws<BackupFormatException>(() => BackupFile.Read(file.AsSpan(0, length)));
            Assert.True(error.Message.StartsWith("truncated", StringComparison.Ordinal), $"cut at {length} of {file.Length}: {error.Message}");
        }
    }

    [Fact]
    public void Every_single_changed_byte_is_refused()
    {
        var file = SampleFile();
        for (var position = 0; position < file.Length; position++)
        {
            var damaged = (byte[])file.Clone();
            damaged[position] ^= 0x20;
            var error = Assert.Throws<BackupFormatException>(() => BackupFile.Read(damaged));
            Assert.False(string.IsNullOrWhiteSpace(error.Message), $"byte {position}");
        }
    }

    [Fact]
    public void A_changed_state_byte_is_a_checksum_mismatch()
    {
        var file = SampleFile();
        file[file.Length - 40] ^= 1; // inside the state, before the 32-byte checksum
        var error = Assert.Throws<BackupFormatException>(() => BackupFile.Read(file));
        Assert.Contains("checksum mismatch", error.Message);
    }

    [Fact]
    public void Another_file_is_refused_as_not_a_backup()
    {
        var error = Assert.Throws<BackupFormatException>(() => BackupFile.Read("SQLite format 3\0 and more bytes"u8));
        Assert.Contains("not a DistStack backup", error.Message);
    }

    [Fact]
    public void A_newer_format_version_is_refused_by_name()
    {
        var file = SampleFile();
        file[8] = BackupFile.FormatVersion + 1;
        var error = Assert.Throws<BackupFormatException>(() => BackupFile.Read(file));
        Assert.Contains($"format version {BackupFile.FormatVersion + 1}", error.Message);
        Assert.Contains($"reads version {BackupFile.FormatVersion}", error.Message);
    }

    [Fact]
    public void Bytes_after_the_checksum_are_refused()
    {
        var file = SampleFile();
        var error = Assert.Throws<BackupFormatException>(() => BackupFile.Read([.. file, 0]));
        Assert.Contains("1 unexpected bytes after the checksum", error.Message);
    }

    [Fact]
    public void A_header_whose_index_is_not_the_states_is_refused_even_with_a_valid_checksum()
    {
        var file = BackupFile.ToBytes(Header with { Index = 7 }, StackSnapshotCodec.Write(SampleState()));
        var error = Assert.Throws<BackupFormatException>(() => BackupFile.Read(file));
        Assert.Contains("the header says index 7, the state was taken at 6", error.Message);
    }

    [Fact]
    public void A_state_that_does_not_decode_is_refused_even_with_a_valid_checksum()
    {
        var state = StackSnapshotCodec.Write(SampleState());
        BinaryPrimitives.WriteUInt64LittleEndian(state.AsSpan(state.Length - 8), 42); // the state's own digest
        var error = Assert.Throws<BackupFormatException>(() => BackupFile.Read(BackupFile.ToBytes(Header, state)));
        Assert.Contains("the state does not decode", error.Message);
    }
}
