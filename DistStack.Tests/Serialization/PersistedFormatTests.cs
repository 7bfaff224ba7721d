using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;
using DistStack.Actors.Serialization;
using DistStack.Actors.Stacks;
using DistStack.Tests.Support;

namespace DistStack.Tests.Serialization;

/// <summary>
/// Journal events, log entries and snapshots are kept forever, so their bytes are pinned here. If one of these
/// fails, a change altered a persisted format in place: give it a new manifest/version and keep reading the old.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PersistedFormatTests(SerializationSystemFixture fixture) : IClassFixture<SerializationSystemFixture>
{
    private static readonly ClusterConfiguration Three = ClusterConfiguration.Of(1, 2, 3);

    /// <summary>Voters 1 and 2, no learners, each member's address recorded: format 3.</summary>
    private static readonly ClusterConfiguration TwoWithAddresses =
        ClusterConfiguration.Of(1, 2).WithAddress(1, "a:1").WithAddress(2, "b:2");

    /// <summary><see cref="TwoWithAddresses"/> with both members' storage ids recorded: format 4.</summary>
    private static readonly ClusterConfiguration TwoWithStorageIds =
        TwoWithAddresses.WithStorageIds([new(1, 0x0102030405060708UL), new(2, 0x1112131415161718UL)]);

    public static TheoryData<string, string, object> Pinned() => new()
    {
        { "HSR1", "1206", new HardStateRecorded(9, 3) },
        { "EA1", "54020103617263", new EntryAppended(new LogEntry(42, 1, EntryKind.NoOp, [0x61, 0x72, 0x63])) },
        {
            "EAS1", "02 54020103617263 02000000",
            new EntriesAppended([new LogEntry(42, 1, EntryKind.NoOp, [0x61, 0x72, 0x63]), new LogEntry(43, 1, EntryKind.Command, [])])
        },
        { "LT1", "22", new LogTruncated(17) },
        { "NB1", "0df0feca efbeadde 04 03020406", new NodeBootstrapped(0xDEADBEEFCAFEF00DUL, 2, Three) },
        {
            "DS1", "0700000000000000 02 0602 1404 03020406 00 02 02000200 00000000",
            new DurableSnapshot(7, 1, new HardState(3, 1), new SnapshotData(new SnapshotMetadata(10, 2, Three), []),
                [new LogEntry(1, 0, EntryKind.Configuration, []), new LogEntry(1, 0, EntryKind.Command, [])])
        },
        {
            // The same record once the configuration records addresses: voters, learners (none), then (id, address).
            "DS3", "0700000000000000 02 0602 1404 020204 00 02 02 03613a31 04 03623a32 00 00 02 02000200 00000000",
            new DurableSnapshot(7, 1, new HardState(3, 1), new SnapshotData(new SnapshotMetadata(10, 2, TwoWithAddresses), []),
                [new LogEntry(1, 0, EntryKind.Configuration, []), new LogEntry(1, 0, EntryKind.Command, [])])
        },
        {
            // And once it records storage ids: format 3's layout, then (id, storage id as a fixed little-endian uint64).
            "DS4", "0700000000000000 02 0602 1404 020204 00 02 02 03613a31 04 03623a32 00 02 02 0807060504030201 04 1817161514131211 00 02 02000200 00000000",
            new DurableSnapshot(7, 1, new HardState(3, 1), new SnapshotData(new SnapshotMetadata(10, 2, TwoWithStorageIds), []),
                [new LogEntry(1, 0, EntryKind.Configuration, []), new LogEntry(1, 0, EntryKind.Command, [])])
        },
    };

    [Fact]
    public void A_configuration_with_storage_ids_keeps_its_bytes_in_log_entries_and_on_the_wire()
    {
        // In a log entry: the marker -4, format 3's layout, then the number of storage ids and each as node id (int32)
        // and storage id (uint64), little-endian.
        const string entry = "fcffffff 02000000 01000000 02000000 00000000 02000000 01000000 03000000 613a31 02000000 03000000 623a32 00000000 " +
                             "02000000 01000000 0807060504030201 02000000 1817161514131211";
        Assert.Equal(Convert.FromHexString(entry.Replace(" ", "")), TwoWithStorageIds.Encode());
        Assert.Equal(TwoWithStorageIds, ClusterConfiguration.Decode(Convert.FromHexString(entry.Replace(" ", ""))));

        var serializer = fixture.Serialization.FindSerializerFor(TwoWithStorageIds);
        Assert.Equal("CC4", Akka.Serialization.Serialization.ManifestFor(serializer, TwoWithStorageIds));
        Assert.Equal(Convert.FromHexString("020204000202 03613a31 04 03623a32 00 02 02 0807060504030201 04 1817161514131211".Replace(" ", "")),
            serializer.ToBinary(TwoWithStorageIds));

        // Readers of formats 1-3 refuse it: -4 is no voter count, and neither -2 nor -3.
        var marker = BitConverter.ToInt32(TwoWithStorageIds.Encode(), 0);
        Assert.True(marker < 1 && marker is not -2 and not -3, $"marker {marker}");
        // A storage id of 0, of a non-member, or an entry cut short is refused.
        Assert.False(ClusterConfiguration.TryDecode(Convert.FromHexString(entry.Replace(" ", "").Replace("0807060504030201", "0000000000000000")), out _));
        Assert.False(ClusterConfiguration.TryDecode(Convert.FromHexString(entry.Replace(" ", "")[..^2]), out _));
        Assert.False(ClusterConfiguration.TryDecode(Convert.FromHexString(entry.Replace(" ", "").Replace("02000000 1817161514131211".Replace(" ", ""), "09000000 1817161514131211".Replace(" ", ""))), out _));
    }

    [Fact]
    public void Answers_with_a_storage_id_keep_their_bytes_and_answers_without_one_keep_version_1()
    {
        var ack = new AppendEntriesResponse(5, 3, 1, 8, Success: true, 43, 0, 0);
        var serializer = fixture.Serialization.FindSerializerFor(ack);
        Assert.Equal("AER1", Akka.Serialization.Serialization.ManifestFor(serializer, ack));
        Assert.Equal(Convert.FromHexString("0500000000000000 06 02 10 01 56 00 00".Replace(" ", "")), serializer.ToBinary(ack));
        var stamped = ack with { StorageId = 0x0102030405060708UL };
        Assert.Equal("AER2", Akka.Serialization.Serialization.ManifestFor(serializer, stamped));
        Assert.Equal(Convert.FromHexString("0500000000000000 06 02 10 01 56 00 00 0807060504030201".Replace(" ", "")), serializer.ToBinary(stamped));
        Assert.Equal(stamped, fixture.Serialization.Deserialize(serializer.ToBinary(stamped), serializer.Identifier, "AER2"));
    }

    [Fact]
    public void A_configuration_with_addresses_keeps_its_bytes_in_log_entries_and_on_the_wire()
    {
        // In a log entry: the marker -3, voters, learners (counted, none here), the number of addresses, then each
        // as node id, UTF-8 length and bytes, then the learners to promote once caught up (counted, none); int32s.
        const string entry = "fdffffff 02000000 01000000 02000000 00000000 02000000 01000000 03000000 613a31 02000000 03000000 623a32 00000000";
        Assert.Equal(Convert.FromHexString(entry.Replace(" ", "")), TwoWithAddresses.Encode());
        Assert.Equal(TwoWithAddresses, ClusterConfiguration.Decode(Convert.FromHexString(entry.Replace(" ", ""))));

        var serializer = fixture.Serialization.FindSerializerFor(TwoWithAddresses);
        Assert.Equal("CC3", Akka.Serialization.Serialization.ManifestFor(serializer, TwoWithAddresses));
        Assert.Equal(Convert.FromHexString("020204000202 03613a31 04 03623a32 00".Replace(" ", "")), serializer.ToBinary(TwoWithAddresses));

        // A learner to promote once caught up, without addresses, is format 3 too: voters [1], learners [2], no
        // address, promote [2].
        var marked = ClusterConfiguration.Of(1).AddLearner(2).WithPromoteWhenCaughtUp(2, true);
        Assert.Equal(Convert.FromHexString("fdffffff 01000000 01000000 01000000 02000000 00000000 01000000 02000000".Replace(" ", "")), marked.Encode());
        Assert.Equal("CC3", Akka.Serialization.Serialization.ManifestFor(serializer, marked));
        Assert.Equal(Convert.FromHexString("0102 0104 00 0104".Replace(" ", "")), serializer.ToBinary(marked));
    }

    [Fact]
    public void Old_readers_refuse_a_configuration_with_addresses_rather_than_misread_it()
    {
        // Readers of formats 1 and 2 take the first int32 as a voter count (1-1024) or as the learners marker (-2):
        // -3 is neither, so they refuse the entry (a peer's append holding it is dropped) instead of running a
        // configuration whose new members they cannot reach.
        var marker = BitConverter.ToInt32(TwoWithAddresses.Encode(), 0);
        Assert.True(marker < 1 && marker != -2, $"marker {marker}");
        // And voters-only configurations, as every earlier version wrote them, still decode unchanged.
        Assert.Equal(Three, ClusterConfiguration.Decode(Convert.FromHexString("03000000010000000200000003000000")));
        Assert.False(Three.HasAddresses);
        Assert.Equal(Convert.FromHexString("03000000010000000200000003000000"), Three.Encode());
    }

    [Theory]
    [MemberData(nameof(Pinned))]
    public void Journal_records_keep_their_bytes(string manifest, string hex, object record)
    {
        var serializer = fixture.Serialization.FindSerializerFor(record);
        Assert.Equal(manifest, Akka.Serialization.Serialization.ManifestFor(serializer, record));
        Assert.Equal(Convert.FromHexString(hex.Replace(" ", "")), serializer.ToBinary(record));
        SerializationSamples.AssertDeepEqual(record, fixture.Serialization.Deserialize(Convert.FromHexString(hex.Replace(" ", "")), serializer.Identifier, manifest));
    }

    [Fact]
    public void Stack_commands_keep_their_bytes()
    {
        Assert.Equal(Convert.FromHexString("02030000016b0173027678"), StackCommandCodec.Encode(new PushValue("k", "s", "vx")));
        Assert.Equal(Convert.FromHexString("020301e807016b0173027678"),
            StackCommandCodec.Encode(new PushValue("k", "s", "vx") { KeyFromClient = true }, 1000));
        Assert.Equal(new PopValue("k", "s") { KeyFromClient = true }, StackCommandCodec.Decode(Convert.FromHexString("020401e807016b0173"), out var stamp));
        Assert.Equal(1000, stamp);
    }

    [Fact]
    public void Batch_commands_keep_their_version_3_bytes()
    {
        Assert.Equal(Convert.FromHexString("03050000016b01730201610162"), StackCommandCodec.Encode(new PushValues("k", "s", ["a", "b"])));
        Assert.Equal(Convert.FromHexString("030601e807016b017303"), StackCommandCodec.Encode(new PopValues("k", "s", 3) { KeyFromClient = true }, 1000));
        Assert.Equal(new PopValues("k", "s", 3) { KeyFromClient = true }, StackCommandCodec.Decode(Convert.FromHexString("030601e807016b017303")));
    }

    [Fact]
    public void A_snapshot_holding_a_pop_of_many_keeps_its_bytes()
    {
        var state = StackState.Empty(new StackStateOptions());
        (state, _) = state.Apply(1, new CreateStack("c", "s"), 1000);
        (state, _) = state.Apply(2, new PushValues("p", "s", ["a", "b"]), 1000);
        (state, _) = state.Apply(3, new PopValues("q", "s", 5), 1000);
        var bytes = StackSnapshotCodec.Write(state);
        Assert.Equal(PinnedPopManySnapshotHex, Convert.ToHexString(SnapshotBytes.Uncompressed(bytes)));
        Assert.Equal(state.Digest, StackSnapshotCodec.Read(bytes, new StackStateOptions()).Digest);
    }

    [Fact]
    public void Version_1_stack_commands_still_read_as_generated_keys_without_a_stamp()
    {
        Assert.Equal(new PushValue("k", "s", "vx"), StackCommandCodec.Decode(Convert.FromHexString("0103016b0173027678"), out var stamp));
        Assert.Equal(0, stamp);
        Assert.Equal(new CreateStack("k", "s"), StackCommandCodec.Decode(Convert.FromHexString("0101016b0173")));
        Assert.Equal(new DeleteStack("k", "s"), StackCommandCodec.Decode(Convert.FromHexString("0102016b0173")));
        Assert.Equal(new PopValue("k", "s"), StackCommandCodec.Decode(Convert.FromHexString("0104016b0173")));
    }

    [Fact]
    public void Stack_snapshots_keep_their_bytes()
    {
        var state = StackState.Empty(new StackStateOptions());
        (state, _) = state.Apply(1, new CreateStack("c", "s"), 1000);
        (state, _) = state.Apply(2, new PushValue("p", "s", "v") { KeyFromClient = true }, 2000);
        var bytes = StackSnapshotCodec.Write(state);
        // Written as version 4: the pinned version 3 bytes, compressed. (The compressed bytes themselves may differ
        // with the Brotli library's version; what any Brotli decoder makes of them may not.)
        Assert.Equal(PinnedSnapshotHex, Convert.ToHexString(SnapshotBytes.Uncompressed(bytes)));
        Assert.Equal(state.Digest, StackSnapshotCodec.Read(Convert.FromHexString(PinnedSnapshotHex), new StackStateOptions()).Digest);
        Assert.Equal(state.Digest, StackSnapshotCodec.Read(Convert.FromHexString(PinnedCompressedSnapshotHex), new StackStateOptions()).Digest);
        Assert.Equal(Convert.FromHexString(PinnedSnapshotHex).Length, StackSnapshotCodec.StateLength(Convert.FromHexString(PinnedCompressedSnapshotHex)));
        Assert.Equal(Convert.FromHexString(PinnedSnapshotHex).Length, StackSnapshotCodec.StateLength(Convert.FromHexString(PinnedSnapshotHex)));
    }


    [Fact]
    public void Version_2_stack_snapshots_still_read_with_every_key_generated_and_the_clock_at_zero()
    {
        var state = StackSnapshotCodec.Read(Convert.FromHexString(PinnedVersion2SnapshotHex), new StackStateOptions());

        Assert.Equal(2, state.AppliedIndex);
        Assert.Equal(0, state.ClockMs);
        Assert.Equal(0, state.RememberedClientKeyBytes);
        (_, var reused) = state.Apply(3, new PushValue("p", "s", "other"));
        Assert.Equal(StackOutcome.KeyReused, reused.Outcome);
    }

    [Fact]
    public void Version_1_stack_snapshots_still_read_and_their_keys_still_answer_retries()
    {
        var state = StackSnapshotCodec.Read(Convert.FromHexString(PinnedVersion1SnapshotHex), new StackStateOptions());

        Assert.Equal(2, state.AppliedIndex);
        // No fingerprint was kept: a retry under a version-1 key gets its cached answer whatever it carries.
        (_, var retry) = state.Apply(3, new PushValue("p", "s", "v"));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 1), retry);
    }

    // version 3, applied index 2, log clock 2000, one stack "s" holding ["v"], keys "c"@1 (generated, at 1000,
    // Created) and "p"@2 (client-chosen, at 2000, Ok, size 1) each with its command's fingerprint, digest. The
    // fingerprints are literal: they are persisted, so the function that makes them may never change (a retry would
    // then look like a reused key).
    // Version 4 of the snapshot below: its length, 92 (varint 5C), then a Brotli stream holding it (a stream this
    // small keeps its bytes uncompressed, between the stream's header 8B2D80 and its end 03).
    private const string PinnedCompressedSnapshotHex =
        "04" + "5C" + "8B2D80" +
        "030200000000000000D007000000000000010173010176020163010000000000000000E80300000000000001000003151A2B2340CCED" +
        "0170020000000000000001D00700000000000000000203BF0E61E253DF057BBC3E83CA53BEA2" + "03";

    private const string PinnedSnapshotHex =
        "03" + "0200000000000000" + "D007000000000000" + "01" + "0173" + "01" + "0176" +
        "02" + "0163" + "0100000000000000" + "00" + "E803000000000000" + "010000" + "03151A2B2340CCED" +
        "0170" + "0200000000000000" + "01" + "D007000000000000" + "000002" + "03BF0E61E253DF05" +
        "7BBC3E83CA53BEA2";

    // version 3, applied index 3, clock 1000, stack "s" empty; keys "c"@1 (Created), "p"@2 (Ok, size 2) and "q"@3
    // whose result carries values (flags bit 1): Ok, size 0, then 2 values "b", "a"; each with its fingerprint; digest.
    private const string PinnedPopManySnapshotHex =
        "03" + "0300000000000000" + "E803000000000000" + "01" + "0173" + "00" +
        "03" + "0163" + "0100000000000000" + "00" + "E803000000000000" + "010000" + "03151A2B2340CCED" +
        "0170" + "0200000000000000" + "00" + "E803000000000000" + "000004" + "ED5E3AA8941BACBF" +
        "0171" + "0300000000000000" + "00" + "E803000000000000" + "000200" + "02" + "0162" + "0161" + "DC3591A66707C172" +
        "F5483EA76739D704";

    // The same stacks as written by version 2 (no clock, no key kinds or times).
    private const string PinnedVersion2SnapshotHex =
        "02" + "0200000000000000" + "01" + "0173" + "01" + "0176" +
        "02" + "0163" + "0100000000000000" + "010000" + "03151A2B2340CCED" +
        "0170" + "0200000000000000" + "000002" + "03BF0E61E253DF05" +
        "7BBC3E83CA53BEA2";

    // The same state as written by version 1 (no fingerprints).
    private const string PinnedVersion1SnapshotHex =
        "01" + "0200000000000000" + "01" + "0173" + "01" + "0176" +
        "02" + "0163" + "0100000000000000" + "010000" + "0170" + "0200000000000000" + "000002" +
        "7BBC3E83CA53BEA2";
}
