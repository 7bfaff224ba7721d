using System.Buffers.Binary;
using System.Collections.Immutable;

namespace DistStack.Actors.Raft;

/// <summary>
/// The members: voters, who elect leaders and make up commit quorums, and learners, who receive the log but are
/// never counted (etcd's learners). Kept as data in the log (an entry of kind Configuration, and in snapshot
/// metadata): the configuration in force is the latest one in the log, committed or not (dissertation §4.1), and
/// it changes one server at a time (docs/membership.md).
/// </summary>
public sealed record ClusterConfiguration(ImmutableArray<int> Voters)
{
    /// <summary>Most voters, and most learners, a configuration may hold (what a decoder accepts).</summary>
    public const int MaxMembers = 1024;

    /// <summary>Replicated to, never counted toward a quorum, never a candidate. Ascending, disjoint from the voters.</summary>
    public ImmutableArray<int> Learners { get; init; } = [];

    public int QuorumSize => Voters.Length / 2 + 1;

    /// <summary>Whether <paramref name="nodeId"/> is a voter (learners are not).</summary>
    public bool Contains(int nodeId) => Voters.Contains(nodeId);

    public bool IsLearner(int nodeId) => Learners.Contains(nodeId);

    public bool IsMember(int nodeId) => Contains(nodeId) || IsLearner(nodeId);

    public bool HasLearners => !Learners.IsDefaultOrEmpty;

    /// <summary>
    /// Each member's peer address ("host:port"), by node id, for the members whose address the configuration
    /// records. Configurations written before addresses existed record none: the founders' addresses then come from
    /// the node's own member list. Only members have an address here.
    /// </summary>
    public ImmutableSortedDictionary<int, string> Addresses { get; init; } = ImmutableSortedDictionary<int, string>.Empty;

    public bool HasAddresses => !Addresses.IsEmpty;

    /// <summary>
    /// Learners that whichever node leads promotes as soon as they are caught up (raftexample's <c>POST /{id}</c> adds
    /// a node to become a voter): data in the log, so the wish survives a change of leader. Ascending, a subset of
    /// the learners. The others stay learners until promoted explicitly (etcd's <c>member promote</c>).
    /// </summary>
    public ImmutableArray<int> PromoteWhenCaughtUp { get; init; } = [];

    /// <summary>Whether this configuration needs format 3 or later (addresses, learners to promote once caught up, storage ids).</summary>
    public bool HasFormat3Data => HasAddresses || !PromoteWhenCaughtUp.IsDefaultOrEmpty || HasStorageIds;

    /// <summary>
    /// Each member's storage id, by node id, for the members whose storage the cluster has recorded: a random id a
    /// node's storage gets at its first boot (docs/membership.md, "Storage ids"). A vote or an acknowledgement counts
    /// only from the storage recorded here, so a member whose disk was lost (and came back blank, under a new storage
    /// id) can never vote or count toward a commit with a blank log. Only members have one; never 0.
    /// </summary>
    public ImmutableSortedDictionary<int, ulong> StorageIds { get; init; } = ImmutableSortedDictionary<int, ulong>.Empty;

    public bool HasStorageIds => !StorageIds.IsEmpty;

    /// <summary>
    /// Whether a vote or an acknowledgement from <paramref name="nodeId"/>'s storage <paramref name="storageId"/> may
    /// count: no storage is recorded for the node yet (before the first leader records the founders'), or it is this one.
    /// </summary>
    public bool StorageMatches(int nodeId, ulong storageId) =>
        !StorageIds.TryGetValue(nodeId, out var recorded) || recorded == storageId;

    /// <summary>Records the storage ids of <paramref name="storageIds"/> (members only, non-zero ids only).</summary>
    public ClusterConfiguration WithStorageIds(IEnumerable<KeyValuePair<int, ulong>> storageIds)
    {
        var recorded = StorageIds;
        foreach (var (id, storageId) in storageIds)
            if (storageId != 0 && IsMember(id)) recorded = recorded.SetItem(id, storageId);
        return recorded.SequenceEqual(StorageIds) ? this : this with { StorageIds = recorded };
    }

    /// <summary>Marks learner <paramref name="nodeId"/> to be promoted once caught up, or clears the mark.</summary>
    public ClusterConfiguration WithPromoteWhenCaughtUp(int nodeId, bool promote) => this with
    {
        PromoteWhenCaughtUp = promote
            ? [.. PromoteWhenCaughtUp.Remove(nodeId).Append(nodeId).Order()]
            : PromoteWhenCaughtUp.Remove(nodeId),
    };

    /// <summary>The address this configuration records for <paramref name="nodeId"/>, or null.</summary>
    public string? AddressOf(int nodeId) => Addresses.TryGetValue(nodeId, out var address) ? address : null;

    /// <summary>The most bytes of UTF-8 an address may take (a host name is at most 253, plus ":port").</summary>
    public const int MaxAddressBytes = 300;

    /// <summary>Records <paramref name="address"/> for member <paramref name="nodeId"/>.</summary>
    public ClusterConfiguration WithAddress(int nodeId, string address) =>
        this with { Addresses = Addresses.SetItem(nodeId, address) };

    /// <summary>Records, for every member that has none yet, the address <paramref name="known"/> gives it (if any).</summary>
    public ClusterConfiguration WithMissingAddresses(IReadOnlyDictionary<int, string> known)
    {
        var addresses = Addresses;
        foreach (var member in Members)
            if (!addresses.ContainsKey(member) && known.TryGetValue(member, out var address))
                addresses = addresses.SetItem(member, address);
        return ReferenceEquals(addresses, Addresses) ? this : this with { Addresses = addresses };
    }

    /// <summary>Voters, then learners.</summary>
    public IEnumerable<int> Members => Voters.Concat(Learners);

    public static ClusterConfiguration Of(params int[] voters) => new([.. voters.Order()]);

    public ClusterConfiguration WithLearners(params int[] learners) => this with { Learners = [.. learners.Order()] };

    public ClusterConfiguration AddLearner(int nodeId) =>
        this with { Learners = [.. Learners.Append(nodeId).Order()] };

    public ClusterConfiguration Promote(int nodeId) =>
        new([.. Voters.Append(nodeId).Order()])
        {
            Learners = Learners.Remove(nodeId), Addresses = Addresses, PromoteWhenCaughtUp = PromoteWhenCaughtUp.Remove(nodeId),
            StorageIds = StorageIds,
        };

    public ClusterConfiguration Remove(int nodeId) =>
        new(Voters.Remove(nodeId))
        {
            Learners = Learners.Remove(nodeId), Addresses = Addresses.Remove(nodeId), PromoteWhenCaughtUp = PromoteWhenCaughtUp.Remove(nodeId),
            StorageIds = StorageIds.Remove(nodeId),
        };

    /// <summary>
    /// Without learners, exactly the bytes every earlier version wrote (a voter count, then the voters, little-endian
    /// int32s), so old logs and snapshots stay valid. With learners, a format marker that no earlier count can be
    /// (<see cref="LearnersFormat"/>, negative), then the voters and the learners, each counted.
    /// </summary>
    public byte[] Encode()
    {
        if (HasFormat3Data) return EncodeWithAddresses();
        if (!HasLearners)
        {
            var bytes = new byte[4 + 4 * Voters.Length];
            WriteInts(bytes, 0, Voters.Length, Voters);
            return bytes;
        }
        var withLearners = new byte[12 + 4 * (Voters.Length + Learners.Length)];
        BinaryPrimitives.WriteInt32LittleEndian(withLearners, LearnersFormat);
        WriteInts(withLearners, 4, Voters.Length, Voters);
        WriteInts(withLearners, 8 + 4 * Voters.Length, Learners.Length, Learners);
        return withLearners;
    }

    /// <summary>The first int32 of an encoding with learners: earlier decoders refuse it (counts start at 1).</summary>
    private const int LearnersFormat = -2;

    /// <summary>
    /// The first int32 of an encoding with addresses: decoders of the two earlier formats refuse it (neither a count
    /// nor <see cref="LearnersFormat"/>), rather than run a configuration whose new members they cannot reach.
    /// </summary>
    private const int AddressesFormat = -3;

    /// <summary>
    /// The first int32 of an encoding with storage ids: format 3's layout, then the storage ids. Decoders of the earlier
    /// formats refuse it, rather than run a configuration whose storage checks they would skip.
    /// </summary>
    private const int StorageIdsFormat = -4;

    /// <summary>
    /// <see cref="AddressesFormat"/>, the voters (counted), the learners (counted, possibly none), then the number of
    /// addresses (possibly none) and for each its node id, its UTF-8 length and bytes, in ascending node id order, then
    /// the learners to promote once caught up (counted, possibly none). Under <see cref="StorageIdsFormat"/>, then the
    /// number of storage ids and for each its node id and storage id (uint64), in ascending node id order.
    /// </summary>
    private byte[] EncodeWithAddresses()
    {
        var encoded = Addresses.Select(a => (Id: a.Key, Bytes: System.Text.Encoding.UTF8.GetBytes(a.Value))).ToList();
        var promote = PromoteWhenCaughtUp.IsDefault ? [] : PromoteWhenCaughtUp;
        var storageIdsLength = HasStorageIds ? 4 + 12 * StorageIds.Count : 0;
        var bytes = new byte[12 + 4 * (Voters.Length + Learners.Length) + 4 + encoded.Sum(a => 8 + a.Bytes.Length) + 4 + 4 * promote.Length + storageIdsLength];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, HasStorageIds ? StorageIdsFormat : AddressesFormat);
        WriteInts(bytes, 4, Voters.Length, Voters);
        var offset = 8 + 4 * Voters.Length;
        WriteInts(bytes, offset, Learners.Length, Learners.IsDefault ? [] : Learners);
        offset += 4 + 4 * Learners.Length;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset, 4), encoded.Count);
        offset += 4;
        foreach (var (id, address) in encoded)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset, 4), id);
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset + 4, 4), address.Length);
            address.CopyTo(bytes, offset + 8);
            offset += 8 + address.Length;
        }
        WriteInts(bytes, offset, promote.Length, promote);
        if (!HasStorageIds) return bytes;
        offset += 4 + 4 * promote.Length;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset, 4), StorageIds.Count);
        offset += 4;
        foreach (var (id, storageId) in StorageIds)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset, 4), id);
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(offset + 4, 8), storageId);
            offset += 12;
        }
        return bytes;
    }

    /// <summary>
    /// What a decoder accepts as an address: 1-<see cref="MaxAddressBytes"/> bytes of printable ASCII without
    /// spaces (a host name or IP literal and a port), for a member of the configuration.
    /// </summary>
    public static bool IsValidAddress(string? address) =>
        address is { Length: > 0 and <= MaxAddressBytes } && address.All(c => c is > ' ' and < (char)127);

    private static void WriteInts(byte[] bytes, int offset, int count, ImmutableArray<int> values)
    {
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset, 4), count);
        for (var i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset + 4 + 4 * i, 4), values[i]);
    }

    public static ClusterConfiguration Decode(ReadOnlySpan<byte> bytes) =>
        TryDecode(bytes, out var configuration)
            ? configuration
            : throw new FormatException($"{bytes.Length} bytes are not a cluster configuration");

    /// <summary>
    /// What <see cref="Encode"/> writes, and nothing else: 1-1024 voters, and in the second format 1-1024 learners,
    /// each list of distinct positive ids in ascending order, no id in both. A peer's junk configuration entry is
    /// refused at the edge with this.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out ClusterConfiguration configuration)
    {
        configuration = null!;
        if (bytes.Length < 4) return false;
        if (BinaryPrimitives.ReadInt32LittleEndian(bytes) is AddressesFormat or StorageIdsFormat)
            return TryDecodeWithAddresses(bytes[4..], BinaryPrimitives.ReadInt32LittleEndian(bytes) == StorageIdsFormat, out configuration);
        if (BinaryPrimitives.ReadInt32LittleEndian(bytes) != LearnersFormat)
        {
            if (!TryReadIds(bytes, out var voters, out var used) || used != bytes.Length) return false;
            configuration = new ClusterConfiguration(voters);
            return true;
        }
        var rest = bytes[4..];
        if (!TryReadIds(rest, out var voterIds, out var votersLength)) return false;
        if (!TryReadIds(rest[votersLength..], out var learnerIds, out var learnersLength) ||
            votersLength + learnersLength != rest.Length || learnerIds.Any(voterIds.Contains))
            return false;
        configuration = new ClusterConfiguration(voterIds) { Learners = learnerIds };
        return true;
    }

    private static bool TryDecodeWithAddresses(ReadOnlySpan<byte> rest, bool withStorageIds, out ClusterConfiguration configuration)
    {
        configuration = null!;
        if (!TryReadIds(rest, out var voters, out var votersLength)) return false;
        rest = rest[votersLength..];
        if (!TryReadIds(rest, out var learners, out var learnersLength, minimum: 0) || learners.Any(voters.Contains))
            return false;
        rest = rest[learnersLength..];
        if (rest.Length < 4) return false;
        var count = BinaryPrimitives.ReadInt32LittleEndian(rest);
        if (count < 0 || count > voters.Length + learners.Length) return false;
        rest = rest[4..];
        var addresses = ImmutableSortedDictionary.CreateBuilder<int, string>();
        var previous = 0;
        for (var i = 0; i < count; i++)
        {
            if (rest.Length < 8) return false;
            var id = BinaryPrimitives.ReadInt32LittleEndian(rest);
            var length = BinaryPrimitives.ReadInt32LittleEndian(rest[4..]);
            if (id <= previous || !(voters.Contains(id) || learners.Contains(id)) ||
                length is < 1 or > MaxAddressBytes || rest.Length < 8 + length)
                return false;
            if (rest.Slice(8, length).ContainsAnyExceptInRange((byte)33, (byte)126)) return false;
            addresses[id] = System.Text.Encoding.ASCII.GetString(rest.Slice(8, length));
            previous = id;
            rest = rest[(8 + length)..];
        }
        if (!TryReadIds(rest, out var promote, out var promoteLength, minimum: 0) || !promote.All(learners.Contains))
            return false;
        rest = rest[promoteLength..];
        var storageIds = ImmutableSortedDictionary<int, ulong>.Empty;
        if (withStorageIds && !TryReadStorageIds(rest, id => voters.Contains(id) || learners.Contains(id), out storageIds, out rest))
            return false;
        if (rest.Length != 0) return false;
        configuration = new ClusterConfiguration(voters)
        {
            Learners = learners, Addresses = addresses.ToImmutable(), PromoteWhenCaughtUp = promote, StorageIds = storageIds,
        };
        return true;
    }

    /// <summary>1 or more (node id, storage id) pairs: members, ascending, each storage id non-zero.</summary>
    private static bool TryReadStorageIds(ReadOnlySpan<byte> bytes, Func<int, bool> isMember,
        out ImmutableSortedDictionary<int, ulong> storageIds, out ReadOnlySpan<byte> rest)
    {
        storageIds = ImmutableSortedDictionary<int, ulong>.Empty;
        rest = bytes;
        if (rest.Length < 4) return false;
        var count = BinaryPrimitives.ReadInt32LittleEndian(rest);
        if (count < 1 || count > 2 * MaxMembers || rest.Length < 4 + 12L * count) return false;
        rest = rest[4..];
        var builder = ImmutableSortedDictionary.CreateBuilder<int, ulong>();
        var previous = 0;
        for (var i = 0; i < count; i++)
        {
            var id = BinaryPrimitives.ReadInt32LittleEndian(rest);
            var storageId = BinaryPrimitives.ReadUInt64LittleEndian(rest[4..]);
            if (id <= previous || !isMember(id) || storageId == 0) return false;
            builder[id] = storageId;
            previous = id;
            rest = rest[12..];
        }
        storageIds = builder.ToImmutable();
        return true;
    }

    private static bool TryReadIds(ReadOnlySpan<byte> bytes, out ImmutableArray<int> ids, out int length, int minimum = 1)
    {
        ids = default;
        length = 0;
        if (bytes.Length < 4) return false;
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (count < minimum || count > MaxMembers || bytes.Length < 4 + 4 * count) return false;
        var builder = ImmutableArray.CreateBuilder<int>(count);
        for (var i = 0; i < count; i++)
        {
            var id = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(4 + 4 * i, 4));
            if (id <= 0 || (i > 0 && id <= builder[i - 1])) return false;
            builder.Add(id);
        }
        ids = builder.MoveToImmutable();
        length = 4 + 4 * count;
        return true;
    }

    public bool Equals(ClusterConfiguration? other) =>
        other is not null && Voters.SequenceEqual(other.Voters) && Learners.SequenceEqual(other.Learners) &&
        Addresses.SequenceEqual(other.Addresses) && PromoteWhenCaughtUp.SequenceEqual(other.PromoteWhenCaughtUp) &&
        StorageIds.SequenceEqual(other.StorageIds);

    public override int GetHashCode() =>
        Learners.Aggregate(Voters.Aggregate(17, (h, v) => h * 31 + v), (h, l) => h * 37 + l);

    public override string ToString()
    {
        var members = HasLearners
            ? $"voters [{string.Join(",", Voters)}], learners [{string.Join(",", Learners)}]"
            : $"voters [{string.Join(",", Voters)}]";
        if (!PromoteWhenCaughtUp.IsDefaultOrEmpty) members += $" (promoted once caught up: {string.Join(",", PromoteWhenCaughtUp)})";
        if (HasAddresses) members += $", addresses [{string.Join(",", Addresses.Select(a => $"{a.Key}={a.Value}"))}]";
        if (HasStorageIds) members += $", storage [{string.Join(",", StorageIds.Select(s => $"{s.Key}={s.Value:x16}"))}]";
        return members;
    }
}
