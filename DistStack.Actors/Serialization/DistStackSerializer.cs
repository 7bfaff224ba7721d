using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;
using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;
using DistStack.Actors.Security;

using DistStack.Actors.Wire;

namespace DistStack.Actors.Serialization;

/// <summary>
/// The one serializer for everything DistStack sends between nodes (Raft and node protocol messages) and
/// everything it persists (journal events and snapshot-store records), so Akka's default JSON serializer never
/// touches our types. Binary and span-based; AppendEntries is the hot path.
///
/// Each type has a short manifest ending in a format version ("AE1", "EA1"). Journal events are kept forever,
/// so a format change gets a new manifest ("EA2") and the reader for the old one stays. Bindings live in
/// <see cref="SerializationConfig"/>.
/// </summary>
public sealed partial class DistStackSerializer : SerializerWithStringManifest
{
    /// <summary>Fixed forever: it is stored next to every journal event. 0-100 are Akka's.</summary>
    public const int SerializerIdentifier = 4711;

    public DistStackSerializer(ExtendedActorSystem system) : base(system)
    {
    }

    public override int Identifier => SerializerIdentifier;

    public override string Manifest(object o) =>
        RaftManifest(o) ?? NodeManifest(o) ?? MembershipManifest(o) ?? OverviewManifest(o) ?? JournalManifest(o) ?? throw Unsupported(o);

    public override byte[] ToBinary(object obj)
    {
        using var writer = new WireWriter(SizeHint(obj), WireErrors.Serialization);
        if (!(TryWriteRaft(writer, obj) || TryWriteNode(writer, obj) || TryWriteMembership(writer, obj) || TryWriteOverview(writer, obj) ||
              TryWriteJournal(writer, obj)))
            throw Unsupported(obj);
        return writer.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        PeerFrameRules.CheckDistStackManifest(manifest);
        var reader = new WireReader(bytes, "DistStack message", WireErrors.Serialization, manifest);
        var result = ReadRaft(ref reader, manifest) ?? ReadNode(ref reader, manifest) ?? ReadMembership(ref reader, manifest) ??
                     ReadOverview(ref reader, manifest) ?? ReadJournal(ref reader, manifest)
                     ?? throw new SerializationException(
                         $"Unknown DistStack manifest '{manifest}' (serializer {SerializerIdentifier}): written by a newer " +
                         "DistStack version, or not DistStack data at all.");
        reader.EnsureEnd();
        return result;
    }

    private static int SizeHint(object obj) => obj switch
    {
        AppendEntries append => 64 + SumApproximateSize(append.Entries),
        InstallSnapshot install => 96 + install.Chunk.Length,
        EntryAppended appended => 32 + appended.Entry.ApproximateSize,
        EntriesAppended appended => 32 + SumApproximateSize(appended.Entries),
        DurableSnapshot snapshot => 128 + snapshot.Snapshot.Data.Length + SumApproximateSize(snapshot.Tail),
        Node.ForwardedCommands forwarded => 32 + 64 * forwarded.Writes.Count,
        Node.ForwardedAnswers answers => 32 + 32 * answers.Answers.Count,
        _ => 256,
    };

    private static int SumApproximateSize(IReadOnlyList<LogEntry> entries)
    {
        long total = 0;
        for (var i = 0; i < entries.Count; i++) total += entries[i].ApproximateSize;
        return (int)Math.Min(total, Array.MaxLength - 1024);
    }

    private static ArgumentException Unsupported(object? o) =>
        new($"DistStackSerializer cannot serialize {o?.GetType().FullName ?? "null"}: add a manifest and a writer " +
            "for it (DistStack.Actors/Serialization) before binding it in SerializationConfig.");
}
