using System.Collections.Immutable;
using DistStack.Actors.Raft;

using DistStack.Actors.Wire;

namespace DistStack.Actors.Serialization;

// Raft peer messages (Akka.Remote) and the Raft data types they and the journal carry.
public sealed partial class DistStackSerializer
{
    internal static class RaftManifests
    {
        public const string RequestVote = "RV1";
        public const string RequestVoteResponse = "RVR1";
        public const string AppendEntries = "AE1";
        public const string AppendEntriesResponse = "AER1";
        public const string Heartbeat = "HB1";
        public const string HeartbeatResponse = "HBR1";
        public const string InstallSnapshot = "IS1";
        public const string InstallSnapshotResponse = "ISR1";
        public const string TimeoutNow = "TN1";
        public const string ReadIndexRequest = "RIQ1";
        public const string ReadIndexResponse = "RIR1";
        public const string LogEntry = "LE1";
        public const string ClusterConfiguration = "CC1";
        public const string HardState = "HS1";
        public const string SnapshotMetadata = "SM1";
        public const string SnapshotData = "SD1";

        // The same layouts when the configuration has learners: the voters as in version 1, then the learners.
        // A configuration without learners is still written in version 1, byte for byte.
        public const string InstallSnapshotWithLearners = "IS2";
        public const string ClusterConfigurationWithLearners = "CC2";
        public const string SnapshotMetadataWithLearners = "SM2";
        public const string SnapshotDataWithLearners = "SD2";

        // The same layouts when the configuration records members' addresses: voters, learners (possibly none), then
        // the addresses. Earlier builds do not know these manifests and drop the message (or refuse the record).
        public const string InstallSnapshotWithAddresses = "IS3";
        public const string ClusterConfigurationWithAddresses = "CC3";
        public const string SnapshotMetadataWithAddresses = "SM3";
        public const string SnapshotDataWithAddresses = "SD3";

        // The same layouts when the configuration records members' storage ids: format 3's layout, then the storage ids.
        public const string InstallSnapshotWithStorageIds = "IS4";
        public const string ClusterConfigurationWithStorageIds = "CC4";
        public const string SnapshotMetadataWithStorageIds = "SM4";
        public const string SnapshotDataWithStorageIds = "SD4";

        // The answers that a vote or an acknowledgement counts from, with the sender's storage id after version 1's
        // layout. Version 1 (storage id 0: unknown) is still read, and written for an answer without one.
        public const string RequestVoteResponseWithStorageId = "RVR2";
        public const string AppendEntriesResponseWithStorageId = "AER2";
        public const string HeartbeatResponseWithStorageId = "HBR2";
        public const string InstallSnapshotResponseWithStorageId = "ISR2";
    }

    /// <summary>Which of the three configuration layouts a manifest carries.</summary>
    internal enum ConfigurationLayout : byte
    {
        VotersOnly = 1,
        WithLearners = 2,
        WithAddresses = 3,
        WithStorageIds = 4,
    }

    internal static ConfigurationLayout LayoutOf(ClusterConfiguration configuration) =>
        configuration.HasStorageIds ? ConfigurationLayout.WithStorageIds :
        configuration.HasFormat3Data ? ConfigurationLayout.WithAddresses :
        configuration.HasLearners ? ConfigurationLayout.WithLearners : ConfigurationLayout.VotersOnly;

    private static string? RaftManifest(object o) => o switch
    {
        RequestVote => RaftManifests.RequestVote,
        RequestVoteResponse { StorageId: not 0 } => RaftManifests.RequestVoteResponseWithStorageId,
        RequestVoteResponse => RaftManifests.RequestVoteResponse,
        AppendEntries => RaftManifests.AppendEntries,
        AppendEntriesResponse { StorageId: not 0 } => RaftManifests.AppendEntriesResponseWithStorageId,
        AppendEntriesResponse => RaftManifests.AppendEntriesResponse,
        Heartbeat => RaftManifests.Heartbeat,
        HeartbeatResponse { StorageId: not 0 } => RaftManifests.HeartbeatResponseWithStorageId,
        HeartbeatResponse => RaftManifests.HeartbeatResponse,
        InstallSnapshot m when m.Metadata.Configuration.HasStorageIds => RaftManifests.InstallSnapshotWithStorageIds,
        InstallSnapshot m when m.Metadata.Configuration.HasFormat3Data => RaftManifests.InstallSnapshotWithAddresses,
        InstallSnapshot m when m.Metadata.Configuration.HasLearners => RaftManifests.InstallSnapshotWithLearners,
        InstallSnapshot => RaftManifests.InstallSnapshot,
        InstallSnapshotResponse { StorageId: not 0 } => RaftManifests.InstallSnapshotResponseWithStorageId,
        InstallSnapshotResponse => RaftManifests.InstallSnapshotResponse,
        TimeoutNow => RaftManifests.TimeoutNow,
        ReadIndexRequest => RaftManifests.ReadIndexRequest,
        ReadIndexResponse => RaftManifests.ReadIndexResponse,
        LogEntry => RaftManifests.LogEntry,
        ClusterConfiguration m when m.HasStorageIds => RaftManifests.ClusterConfigurationWithStorageIds,
        ClusterConfiguration m when m.HasFormat3Data => RaftManifests.ClusterConfigurationWithAddresses,
        ClusterConfiguration m when m.HasLearners => RaftManifests.ClusterConfigurationWithLearners,
        ClusterConfiguration => RaftManifests.ClusterConfiguration,
        HardState => RaftManifests.HardState,
        SnapshotMetadata m when m.Configuration.HasStorageIds => RaftManifests.SnapshotMetadataWithStorageIds,
        SnapshotMetadata m when m.Configuration.HasFormat3Data => RaftManifests.SnapshotMetadataWithAddresses,
        SnapshotMetadata m when m.Configuration.HasLearners => RaftManifests.SnapshotMetadataWithLearners,
        SnapshotMetadata => RaftManifests.SnapshotMetadata,
        SnapshotData m when m.Metadata.Configuration.HasStorageIds => RaftManifests.SnapshotDataWithStorageIds,
        SnapshotData m when m.Metadata.Configuration.HasFormat3Data => RaftManifests.SnapshotDataWithAddresses,
        SnapshotData m when m.Metadata.Configuration.HasLearners => RaftManifests.SnapshotDataWithLearners,
        SnapshotData => RaftManifests.SnapshotData,
        _ => null,
    };

    private static bool TryWriteRaft(WireWriter w, object o)
    {
        switch (o)
        {
            case AppendEntries m:
                WriteHeader(w, m);
                w.WriteVarInt(m.PrevLogIndex);
                w.WriteVarInt(m.PrevLogTerm);
                w.WriteVarInt(m.LeaderCommit);
                WriteEntries(w, m.Entries);
                return true;
            case AppendEntriesResponse m:
                WriteHeader(w, m);
                w.WriteBool(m.Success);
                w.WriteVarInt(m.MatchIndex);
                w.WriteVarInt(m.ConflictIndex);
                w.WriteVarInt(m.ConflictTerm);
                WriteStorageId(w, m.StorageId);
                return true;
            case Heartbeat m:
                WriteHeader(w, m);
                w.WriteVarInt(m.Commit);
                w.WriteVarInt(m.ReadContext);
                return true;
            case HeartbeatResponse m:
                WriteHeader(w, m);
                w.WriteVarInt(m.ReadContext);
                WriteStorageId(w, m.StorageId);
                return true;
            case RequestVote m:
                WriteHeader(w, m);
                w.WriteBool(m.PreVote);
                w.WriteVarInt(m.LastLogIndex);
                w.WriteVarInt(m.LastLogTerm);
                w.WriteBool(m.LeadershipTransfer);
                return true;
            case RequestVoteResponse m:
                WriteHeader(w, m);
                w.WriteBool(m.PreVote);
                w.WriteBool(m.Granted);
                WriteStorageId(w, m.StorageId);
                return true;
            case InstallSnapshot m:
                WriteHeader(w, m);
                WriteSnapshotMetadata(w, m.Metadata);
                w.WriteVarInt(m.Offset);
                w.WriteBytes(m.Chunk);
                w.WriteBool(m.Done);
                return true;
            case InstallSnapshotResponse m:
                WriteHeader(w, m);
                w.WriteVarInt(m.LastIncludedIndex);
                w.WriteVarInt(m.NextOffset);
                w.WriteBool(m.Done);
                WriteStorageId(w, m.StorageId);
                return true;
            case TimeoutNow m:
                WriteHeader(w, m);
                return true;
            case ReadIndexRequest m:
                WriteHeader(w, m);
                w.WriteVarInt(m.RequestId);
                return true;
            case ReadIndexResponse m:
                WriteHeader(w, m);
                w.WriteVarInt(m.RequestId);
                w.WriteVarInt(m.ReadIndex);
                w.WriteByte(m.Rejected is { } rejected ? (byte)rejected : NoRejection);
                return true;
            case LogEntry m:
                WriteEntry(w, m, previousIndex: 0, previousTerm: 0);
                return true;
            case ClusterConfiguration m:
                WriteConfiguration(w, m);
                return true;
            case HardState m:
                WriteHardState(w, m);
                return true;
            case SnapshotMetadata m:
                WriteSnapshotMetadata(w, m);
                return true;
            case SnapshotData m:
                WriteSnapshotData(w, m);
                return true;
            default:
                return false;
        }
    }

    private static object? ReadRaft(ref WireReader r, string manifest)
    {
        switch (manifest)
        {
            case RaftManifests.AppendEntries:
            {
                var (clusterId, from, to, term) = ReadHeader(ref r);
                var prevLogIndex = r.ReadVarInt();
                var prevLogTerm = r.ReadVarInt();
                var leaderCommit = r.ReadVarInt();
                return new AppendEntries(clusterId, from, to, term, prevLogIndex, prevLogTerm, ReadEntries(ref r), leaderCommit);
            }
            case RaftManifests.AppendEntriesResponse:
            case RaftManifests.AppendEntriesResponseWithStorageId:
            {
                var (clusterId, from, to, term) = ReadHeader(ref r);
                return new AppendEntriesResponse(clusterId, from, to, term,
                    r.ReadBool(), r.ReadVarInt(), r.ReadVarInt(), r.ReadVarInt())
                {
                    StorageId = ReadStorageId(ref r, manifest == RaftManifests.AppendEntriesResponseWithStorageId),
                };
            }
            case RaftManifests.Heartbeat:
            {
                var (clusterId, from, to, term) = ReadHeader(ref r);
                return new Heartbeat(clusterId, from, to, term, r.ReadVarInt(), r.ReadVarInt());
            }
            case RaftManifests.HeartbeatResponse:
            case RaftManifests.HeartbeatResponseWithStorageId:
            {
                var (clusterId, from, to, term) = ReadHeader(ref r);
                return new HeartbeatResponse(clusterId, from, to, term, r.ReadVarInt())
                {
                    StorageId = ReadStorageId(ref r, manifest == RaftManifests.HeartbeatResponseWithStorageId),
                };
            }
            case RaftManifests.RequestVote:
            {
                var (clusterId, from, to, term) = ReadHeader(ref r);
                return new RequestVote(clusterId, from, to, term, r.ReadBool(), r.ReadVarInt(), r.ReadVarInt(), r.ReadBool());
            }
            case RaftManifests.RequestVoteResponse:
            case RaftManifests.RequestVoteResponseWithStorageId:
            {
                var (clusterId, from, to, term) = ReadHeader(ref r);
                return new RequestVoteResponse(clusterId, from, to, term, r.ReadBool(), r.ReadBool())
                {
                    StorageId = ReadStorageId(ref r, manifest == RaftManifests.RequestVoteResponseWithStorageId),
                };
            }
            case RaftManifests.InstallSnapshot:
            case RaftManifests.InstallSnapshotWithLearners:
            case RaftManifests.InstallSnapshotWithAddresses:
            case RaftManifests.InstallSnapshotWithStorageIds:
            {
                var (clusterId, from, to, term) = ReadHeader(ref r);
                var layout = manifest switch
                {
                    RaftManifests.InstallSnapshotWithStorageIds => ConfigurationLayout.WithStorageIds,
                    RaftManifests.InstallSnapshotWithAddresses => ConfigurationLayout.WithAddresses,
                    RaftManifests.InstallSnapshotWithLearners => ConfigurationLayout.WithLearners,
                    _ => ConfigurationLayout.VotersOnly,
                };
                return new InstallSnapshot(clusterId, from, to, term,
                    ReadSnapshotMetadata(ref r, layout), r.ReadVarInt(), r.ReadBytes(), r.ReadBool());
            }
            case RaftManifests.InstallSnapshotResponse:
            case RaftManifests.InstallSnapshotResponseWithStorageId:
            {
                var (clusterId, from, to, term) = ReadHeader(ref r);
                return new InstallSnapshotResponse(clusterId, from, to, term, r.ReadVarInt(), r.ReadVarInt(), r.ReadBool())
                {
                    StorageId = ReadStorageId(ref r, manifest == RaftManifests.InstallSnapshotResponseWithStorageId),
                };
            }
            case RaftManifests.TimeoutNow:
            {
                var (clusterId, from, to, term) = ReadHeader(ref r);
                return new TimeoutNow(clusterId, from, to, term);
            }
            case RaftManifests.ReadIndexRequest:
            {
                var (clusterId, from, to, term) = ReadHeader(ref r);
                return new ReadIndexRequest(clusterId, from, to, term, r.ReadVarInt());
            }
            case RaftManifests.ReadIndexResponse:
            {
                var (clusterId, from, to, term) = ReadHeader(ref r);
                var requestId = r.ReadVarInt();
                var readIndex = r.ReadVarInt();
                var rejected = r.ReadByte();
                if (rejected != NoRejection && !Enum.IsDefined((ReadRejection)rejected))
                    throw r.Malformed($"{rejected} is not a valid ReadRejection");
                return new ReadIndexResponse(clusterId, from, to, term, requestId, readIndex,
                    rejected == NoRejection ? null : (ReadRejection)rejected);
            }
            case RaftManifests.LogEntry:
                return ReadEntry(ref r, previousIndex: 0, previousTerm: 0);
            case RaftManifests.ClusterConfiguration:
                return ReadConfiguration(ref r, ConfigurationLayout.VotersOnly);
            case RaftManifests.ClusterConfigurationWithLearners:
                return ReadConfiguration(ref r, ConfigurationLayout.WithLearners);
            case RaftManifests.ClusterConfigurationWithAddresses:
                return ReadConfiguration(ref r, ConfigurationLayout.WithAddresses);
            case RaftManifests.ClusterConfigurationWithStorageIds:
                return ReadConfiguration(ref r, ConfigurationLayout.WithStorageIds);
            case RaftManifests.HardState:
                return ReadHardState(ref r);
            case RaftManifests.SnapshotMetadata:
                return ReadSnapshotMetadata(ref r, ConfigurationLayout.VotersOnly);
            case RaftManifests.SnapshotMetadataWithLearners:
                return ReadSnapshotMetadata(ref r, ConfigurationLayout.WithLearners);
            case RaftManifests.SnapshotMetadataWithAddresses:
                return ReadSnapshotMetadata(ref r, ConfigurationLayout.WithAddresses);
            case RaftManifests.SnapshotMetadataWithStorageIds:
                return ReadSnapshotMetadata(ref r, ConfigurationLayout.WithStorageIds);
            case RaftManifests.SnapshotData:
                return ReadSnapshotData(ref r, ConfigurationLayout.VotersOnly);
            case RaftManifests.SnapshotDataWithLearners:
                return ReadSnapshotData(ref r, ConfigurationLayout.WithLearners);
            case RaftManifests.SnapshotDataWithAddresses:
                return ReadSnapshotData(ref r, ConfigurationLayout.WithAddresses);
            case RaftManifests.SnapshotDataWithStorageIds:
                return ReadSnapshotData(ref r, ConfigurationLayout.WithStorageIds);
            default:
                return null;
        }
    }

    private const byte NoRejection = 0;

    /// <summary>Only under a "with storage id" manifest, which is chosen only for a non-zero id.</summary>
    private static void WriteStorageId(WireWriter w, ulong storageId)
    {
        if (storageId != 0) w.WriteUInt64Fixed(storageId);
    }

    private static ulong ReadStorageId(ref WireReader r, bool present)
    {
        if (!present) return 0;
        var storageId = r.ReadUInt64Fixed();
        return storageId != 0 ? storageId : throw r.Malformed("a storage id is never 0");
    }

    private static void WriteHeader(WireWriter w, RaftMessage m)
    {
        w.WriteUInt64Fixed(m.ClusterId);
        w.WriteVarInt(m.From);
        w.WriteVarInt(m.To);
        w.WriteVarInt(m.Term);
    }

    private static (ulong ClusterId, int From, int To, long Term) ReadHeader(ref WireReader r) =>
        (r.ReadUInt64Fixed(), r.ReadInt32(), r.ReadInt32(), r.ReadVarInt());

    // Entries of a batch are consecutive and their terms rarely change, so indices and terms are written as
    // deltas from the previous entry: an entry's overhead is about 4 bytes plus its data.
    internal static void WriteEntries(WireWriter w, IReadOnlyList<LogEntry> entries)
    {
        w.WriteCount(entries.Count);
        long previousIndex = 0, previousTerm = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            WriteEntry(w, entry, previousIndex, previousTerm);
            previousIndex = entry.Index;
            previousTerm = entry.Term;
        }
    }

    internal static LogEntry[] ReadEntries(ref WireReader r)
    {
        var entries = new LogEntry[r.ReadCount(minimumItemSize: 4)];
        long previousIndex = 0, previousTerm = 0;
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = ReadEntry(ref r, previousIndex, previousTerm);
            entries[i] = entry;
            previousIndex = entry.Index;
            previousTerm = entry.Term;
        }
        return entries;
    }

    private static void WriteEntry(WireWriter w, LogEntry entry, long previousIndex, long previousTerm)
    {
        w.WriteVarInt(entry.Index - previousIndex);
        w.WriteVarInt(entry.Term - previousTerm);
        w.WriteByte((byte)entry.Kind);
        w.WriteBytes(entry.Data);
    }

    private static LogEntry ReadEntry(ref WireReader r, long previousIndex, long previousTerm)
    {
        var index = previousIndex + r.ReadVarInt();
        var term = previousTerm + r.ReadVarInt();
        var kind = r.ReadEnum<EntryKind>((byte)EntryKind.Command, (byte)EntryKind.Configuration);
        return new LogEntry(index, term, kind, r.ReadBytes());
    }

    /// <summary>
    /// The voters; then, only when there are learners (and so only under a "with learners" manifest), the learners;
    /// with addresses (only under a "with addresses" manifest), the learners even when there are none, then each
    /// recorded address as (node id, string) in ascending node id order, then the learners to promote once caught up.
    /// </summary>
    internal static void WriteConfiguration(WireWriter w, ClusterConfiguration configuration)
    {
        WriteIds(w, configuration.Voters);
        if (configuration.HasFormat3Data)
        {
            WriteIds(w, configuration.Learners.IsDefault ? [] : configuration.Learners);
            w.WriteCount(configuration.Addresses.Count);
            foreach (var (id, address) in configuration.Addresses)
            {
                w.WriteVarInt(id);
                w.WriteString(address);
            }
            WriteIds(w, configuration.PromoteWhenCaughtUp.IsDefault ? [] : configuration.PromoteWhenCaughtUp);
            if (configuration.HasStorageIds)
            {
                w.WriteCount(configuration.StorageIds.Count);
                foreach (var (id, storageId) in configuration.StorageIds)
                {
                    w.WriteVarInt(id);
                    w.WriteUInt64Fixed(storageId);
                }
            }
        }
        else if (configuration.HasLearners) WriteIds(w, configuration.Learners);
    }

    internal static ClusterConfiguration ReadConfiguration(ref WireReader r, ConfigurationLayout layout)
    {
        var voters = ReadIds(ref r);
        if (layout == ConfigurationLayout.VotersOnly) return new ClusterConfiguration(voters);
        var learners = ReadIds(ref r);
        if ((layout == ConfigurationLayout.WithLearners && learners.IsEmpty) || learners.Any(voters.Contains))
            throw r.Malformed("a configuration with learners needs learners that are not voters");
        if (layout == ConfigurationLayout.WithLearners) return new ClusterConfiguration(voters) { Learners = learners };
        var count = r.ReadCount();
        var addresses = ImmutableSortedDictionary.CreateBuilder<int, string>();
        for (var i = 0; i < count; i++)
        {
            var id = r.ReadInt32();
            var address = r.ReadString();
            if (!(voters.Contains(id) || learners.Contains(id)) || addresses.ContainsKey(id) ||
                !ClusterConfiguration.IsValidAddress(address))
                throw r.Malformed($"address '{address}' of node {id} is not a member's host:port, or is recorded twice");
            addresses[id] = address;
        }
        var promote = ReadIds(ref r);
        if (!promote.All(learners.Contains) || promote.Distinct().Count() != promote.Length)
            throw r.Malformed("the learners to promote once caught up must be learners, each once");
        var storageIds = ImmutableSortedDictionary.CreateBuilder<int, ulong>();
        if (layout == ConfigurationLayout.WithStorageIds)
        {
            var storageCount = r.ReadCount(minimumItemSize: 9);
            if (storageCount == 0) throw r.Malformed("a configuration with storage ids needs at least one");
            for (var i = 0; i < storageCount; i++)
            {
                var id = r.ReadInt32();
                var storageId = r.ReadUInt64Fixed();
                if (!(voters.Contains(id) || learners.Contains(id)) || storageIds.ContainsKey(id) || storageId == 0)
                    throw r.Malformed($"storage id of node {id} is not a member's non-zero id, or is recorded twice");
                storageIds[id] = storageId;
            }
        }
        return new ClusterConfiguration(voters)
        {
            Learners = learners, Addresses = addresses.ToImmutable(), PromoteWhenCaughtUp = [.. promote.Order()],
            StorageIds = storageIds.ToImmutable(),
        };
    }

    private static void WriteIds(WireWriter w, ImmutableArray<int> ids)
    {
        w.WriteCount(ids.Length);
        foreach (var id in ids) w.WriteVarInt(id);
    }

    private static ImmutableArray<int> ReadIds(ref WireReader r)
    {
        var count = r.ReadCount();
        var ids = ImmutableArray.CreateBuilder<int>(count);
        for (var i = 0; i < count; i++) ids.Add(r.ReadInt32());
        return ids.MoveToImmutable();
    }

    internal static void WriteHardState(WireWriter w, HardState state)
    {
        w.WriteVarInt(state.Term);
        w.WriteVarInt(state.VotedFor);
    }

    internal static HardState ReadHardState(ref WireReader r) => new(r.ReadVarInt(), r.ReadInt32());

    internal static void WriteSnapshotMetadata(WireWriter w, SnapshotMetadata metadata)
    {
        w.WriteVarInt(metadata.LastIncludedIndex);
        w.WriteVarInt(metadata.LastIncludedTerm);
        WriteConfiguration(w, metadata.Configuration);
    }

    internal static SnapshotMetadata ReadSnapshotMetadata(ref WireReader r, ConfigurationLayout layout) =>
        new(r.ReadVarInt(), r.ReadVarInt(), ReadConfiguration(ref r, layout));

    internal static void WriteSnapshotData(WireWriter w, SnapshotData snapshot)
    {
        WriteSnapshotMetadata(w, snapshot.Metadata);
        w.WriteBytes(snapshot.Data);
    }

    internal static SnapshotData ReadSnapshotData(ref WireReader r, ConfigurationLayout layout) =>
        new(ReadSnapshotMetadata(ref r, layout), r.ReadBytes());
}
