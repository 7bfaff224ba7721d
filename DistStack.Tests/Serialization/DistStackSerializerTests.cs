using System.Runtime.Serialization;
using DistStack.Actors.Node;
using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;
using DistStack.Actors.Serialization;
using DistStack.Actors.Stacks;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Serialization;

[Collection(ClusterCollection.Name)]
public sealed class DistStackSerializerTests(SerializationSystemFixture fixture, ITestOutputHelper output)
    : IClassFixture<SerializationSystemFixture>
{
    public static TheoryData<string, object> Samples()
    {
        var data = new TheoryData<string, object>();
        var i = 0;
        foreach (var sample in SerializationSamples.All()) data.Add($"{i++:D3} {sample.GetType().Name}", sample);
        return data;
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Every_message_and_event_round_trips_through_the_actor_systems_serialization(string name, object sample)
    {
        var (result, bytes, manifest) = fixture.RoundTrip(sample);
        output.WriteLine($"{name}: manifest {manifest}, {bytes.Length} bytes");
        SerializationSamples.AssertDeepEqual(sample, result);
        if (sample is GetNodeStatus or HandOverLeadership) Assert.Same(sample, result);
    }

    [Fact]
    public void Manifests_are_short_carry_a_version_and_name_one_type_each()
    {
        var serializer = (DistStackSerializer)fixture.Serialization.FindSerializerFor(new TimeoutNow(1, 1, 2, 3));
        var typesByManifest = SerializationSamples.All()
            .GroupBy(serializer.Manifest)
            .ToDictionary(g => g.Key, g => g.Select(o => o.GetType()).Distinct().ToList());
        foreach (var (manifest, types) in typesByManifest)
        {
            Assert.InRange(manifest.Length, 2, 4);
            Assert.True(char.IsAsciiDigit(manifest[^1]), $"manifest {manifest} carries no version");
            // Only the stack command and query families share a manifest: their payload names the subtype.
            Assert.True(
                types.Count == 1 || types.All(typeof(StackCommand).IsAssignableFrom) || types.All(typeof(StackQuery).IsAssignableFrom),
                $"manifest {manifest} is used by {string.Join(", ", types.Select(t => t.Name))}");
        }
        Assert.Equal(DistStackSerializer.SerializerIdentifier, serializer.Identifier);
        Assert.True(serializer.Identifier > 100, "identifiers 0-100 are reserved for Akka");
    }

    [Fact]
    public void An_unknown_manifest_is_refused_with_a_clear_message()
    {
        var error = Assert.Throws<SerializationException>(() =>
            fixture.Serialization.Deserialize([1, 2, 3], DistStackSerializer.SerializerIdentifier, "AE9"));
        Assert.Contains("AE9", error.Message);
        Assert.Contains("Unknown DistStack manifest", error.Message);
    }

    [Fact]
    public void Serializing_an_unsupported_object_says_what_is_missing()
    {
        var serializer = (DistStackSerializer)fixture.Serialization.FindSerializerFor(new TimeoutNow(1, 1, 2, 3));
        var error = Assert.Throws<ArgumentException>(() => serializer.ToBinary(new object()));
        Assert.Contains("System.Object", error.Message);
        Assert.Throws<ArgumentException>(() => serializer.Manifest(new object()));
    }

    [Fact]
    public void Truncated_padded_or_random_payloads_are_refused_with_serialization_exceptions()
    {
        var serializer = (DistStackSerializer)fixture.Serialization.FindSerializerFor(new TimeoutNow(1, 1, 2, 3));
        var random = new Random(5);
        foreach (var sample in SerializationSamples.All())
        {
            var manifest = serializer.Manifest(sample);
            var bytes = serializer.ToBinary(sample);
            if (bytes.Length > 0)
                Assert.Throws<SerializationException>(() => serializer.FromBinary(bytes[..^1], manifest));
            Assert.Throws<SerializationException>(() => serializer.FromBinary([.. bytes, 0], manifest));

            for (var i = 0; i < 50; i++)
            {
                var garbage = new byte[random.Next(0, 64)];
                random.NextBytes(garbage);
                try { serializer.FromBinary(garbage, manifest); }
                catch (SerializationException) { }
                var mutated = (byte[])bytes.Clone();
                if (mutated.Length > 0) mutated[random.Next(mutated.Length)] ^= (byte)random.Next(1, 256);
                try { serializer.FromBinary(mutated, manifest); }
                catch (SerializationException) { }
            }
        }
    }

    [Fact]
    public void A_full_append_entries_batch_fits_in_one_remote_frame()
    {
        // The largest batch RaftNode sends: 512 entries carrying 64 KiB of data, at realistic (large) indices.
        const int count = 512;
        const int dataPerEntry = 64 * 1024 / count;
        var entries = new LogEntry[count];
        for (var i = 0; i < count; i++)
        {
            var data = new byte[dataPerEntry];
            new Random(i).NextBytes(data);
            entries[i] = new LogEntry(5_000_000_000L + i, 1_000_000 + i / 100, EntryKind.Command, data);
        }
        var message = new AppendEntries(ulong.MaxValue, 1, 5, 1_000_010, 4_999_999_999L, 1_000_000, entries, 5_000_000_400L);

        var (result, bytes, _) = fixture.RoundTrip(message);
        output.WriteLine($"512 entries / 64 KiB of data: {bytes.Length:N0} bytes ({bytes.Length - 64 * 1024} bytes overhead)");
        Assert.True(bytes.Length < 128_000, $"{bytes.Length} bytes would exceed Akka.Remote's default maximum-frame-size");
        SerializationSamples.AssertDeepEqual(message, result);
    }

    [Fact]
    public void Append_entries_throughput_for_information()
    {
        // No timing assertion (the machine may be busy): prints what the hot path costs.
        var entries = new LogEntry[512];
        for (var i = 0; i < entries.Length; i++) entries[i] = new LogEntry(1_000 + i, 3, EntryKind.Command, new byte[128]);
        var message = new AppendEntries(1, 1, 2, 3, 999, 3, entries, 1_000);
        var serializer = (DistStackSerializer)fixture.Serialization.FindSerializerFor(message);
        const int rounds = 500;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long bytes = 0;
        for (var i = 0; i < rounds; i++)
        {
            var binary = serializer.ToBinary(message);
            bytes += binary.Length;
            var back = (AppendEntries)serializer.FromBinary(binary, serializer.Manifest(message));
            Assert.Equal(512, back.Entries.Count);
        }
        clock.Stop();
        output.WriteLine($"{rounds} full batches written and read in {clock.ElapsedMilliseconds} ms " +
                         $"({bytes / 1024.0 / 1024.0 / Math.Max(clock.Elapsed.TotalSeconds, 1e-9):F0} MiB/s each way)");
    }

    [Fact]
    public void A_large_durable_snapshot_round_trips()
    {
        var state = StackState.Empty(new StackStateOptions());
        (state, _) = state.Apply(1, new CreateStack("c", "big"));
        for (var i = 0; i < 20_000; i++) (state, _) = state.Apply(i + 2, new PushValue($"p{i}", "big", $"value-{i}"));
        var snapshot = new DurableSnapshot(7, 1, new HardState(3, 1),
            new SnapshotData(new SnapshotMetadata(state.AppliedIndex, 3, ClusterConfiguration.Of(1, 2, 3)), StackSnapshotCodec.Write(state)),
            [new LogEntry(state.AppliedIndex + 1, 3, EntryKind.NoOp, [])]);

        var (result, _, _) = fixture.RoundTrip(snapshot);
        SerializationSamples.AssertDeepEqual(snapshot, result);
        var restored = StackSnapshotCodec.Read(((DurableSnapshot)result).Snapshot.Data, new StackStateOptions());
        Assert.Equal(state.Digest, restored.Digest);
    }
}
