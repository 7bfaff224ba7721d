using DistStack.Actors.Persistence;

using DistStack.Actors.Wire;

namespace DistStack.Actors.Serialization;

// What RaftNode persists. Kept forever: never change a layout in place; add a new manifest version instead and
// keep reading the old one.
public sealed partial class DistStackSerializer
{
    internal static class JournalManifests
    {
        public const string HardStateRecorded = "HSR1";
        public const string EntryAppended = "EA1";
        public const string EntriesAppended = "EAS1";
        public const string LogTruncated = "LT1";
        public const string NodeBootstrapped = "NB1";
        public const string DurableSnapshot = "DS1";

        /// <summary>DS1 whose snapshot's configuration has learners (written as SD2 writes it).</summary>
        public const string DurableSnapshotWithLearners = "DS2";

        /// <summary>DS1 whose snapshot's configuration records addresses (written as SD3 writes it).</summary>
        public const string DurableSnapshotWithAddresses = "DS3";

        /// <summary>DS1 whose snapshot's configuration records storage ids (written as SD4 writes it).</summary>
        public const string DurableSnapshotWithStorageIds = "DS4";
    }

    private static string? JournalManifest(object o) => o switch
    {
        HardStateRecorded => JournalManifests.HardStateRecorded,
        EntryAppended => JournalManifests.EntryAppended,
        EntriesAppended => JournalManifests.EntriesAppended,
        LogTruncated => JournalManifests.LogTruncated,
        NodeBootstrapped => JournalManifests.NodeBootstrapped,
        DurableSnapshot m when m.Snapshot.Metadata.Configuration.HasStorageIds => JournalManifests.DurableSnapshotWithStorageIds,
        DurableSnapshot m when m.Snapshot.Metadata.Configuration.HasFormat3Data => JournalManifests.DurableSnapshotWithAddresses,
        DurableSnapshot m when m.Snapshot.Metadata.Configuration.HasLearners => JournalManifests.DurableSnapshotWithLearners,
        DurableSnapshot => JournalManifests.DurableSnapshot,
        _ => null,
    };

    private static bool TryWriteJournal(WireWriter w, object o)
    {
        switch (o)
        {
            case HardStateRecorded m:
                w.WriteVarInt(m.Term);
                w.WriteVarInt(m.VotedFor);
                return true;
            case EntryAppended m:
                WriteEntry(w, m.Entry, previousIndex: 0, previousTerm: 0);
                return true;
            case EntriesAppended m:
                WriteEntries(w, m.Entries);
                return true;
            case LogTruncated m:
                w.WriteVarInt(m.FromIndex);
                return true;
            case NodeBootstrapped m:
                w.WriteUInt64Fixed(m.ClusterId);
                w.WriteVarInt(m.NodeId);
                // NB1 has no place for learners or addresses, and a founding configuration has none.
                if (m.Configuration.HasLearners || m.Configuration.HasFormat3Data)
                    throw new InvalidOperationException("A bootstrap configuration holds voters only.");
                WriteConfiguration(w, m.Configuration);
                return true;
            case DurableSnapshot m:
                w.WriteUInt64Fixed(m.ClusterId);
                w.WriteVarInt(m.NodeId);
                WriteHardState(w, m.HardState);
                WriteSnapshotData(w, m.Snapshot);
                WriteEntries(w, m.Tail);
                return true;
            default:
                return false;
        }
    }

    private static object? ReadJournal(ref WireReader r, string manifest)
    {
        switch (manifest)
        {
            case JournalManifests.HardStateRecorded:
                return new HardStateRecorded(r.ReadVarInt(), r.ReadInt32());
            case JournalManifests.EntryAppended:
                return new EntryAppended(ReadEntry(ref r, previousIndex: 0, previousTerm: 0));
            case JournalManifests.EntriesAppended:
                return new EntriesAppended(ReadEntries(ref r));
            case JournalManifests.LogTruncated:
                return new LogTruncated(r.ReadVarInt());
            case JournalManifests.NodeBootstrapped:
                return new NodeBootstrapped(r.ReadUInt64Fixed(), r.ReadInt32(), ReadConfiguration(ref r, ConfigurationLayout.VotersOnly));
            case JournalManifests.DurableSnapshot:
            case JournalManifests.DurableSnapshotWithLearners:
            case JournalManifests.DurableSnapshotWithAddresses:
            case JournalManifests.DurableSnapshotWithStorageIds:
                return new DurableSnapshot(r.ReadUInt64Fixed(), r.ReadInt32(), ReadHardState(ref r),
                    ReadSnapshotData(ref r, manifest switch
                    {
                        JournalManifests.DurableSnapshotWithStorageIds => ConfigurationLayout.WithStorageIds,
                        JournalManifests.DurableSnapshotWithAddresses => ConfigurationLayout.WithAddresses,
                        JournalManifests.DurableSnapshotWithLearners => ConfigurationLayout.WithLearners,
                        _ => ConfigurationLayout.VotersOnly,
                    }), ReadEntries(ref r));
            default:
                return null;
        }
    }
}
