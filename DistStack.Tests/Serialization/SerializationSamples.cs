using System.Collections.Immutable;
using DistStack.Actors.Node;
using DistStack.Actors.Observability;
using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;

namespace DistStack.Tests.Serialization;

/// <summary>
/// At least one instance of every type DistStackSerializer handles, with edge values (extremes, nulls, empty
/// lists, non-ASCII text). The coverage test fails if a bound type has no sample here.
/// </summary>
internal static class SerializationSamples
{
    private const ulong ClusterId = 0xDEADBEEFCAFEF00DUL;

    private static readonly ClusterConfiguration Five = ClusterConfiguration.Of(1, 2, 3, 4, 5);

    /// <summary>Written under the "with learners" manifests (CC2, SM2, SD2, IS2, DS2).</summary>
    private static readonly ClusterConfiguration ThreeAndTwoLearners = ClusterConfiguration.Of(1, 2, 3).WithLearners(4, int.MaxValue);

    /// <summary>Written under the "with addresses" manifests (CC3, SM3, SD3, IS3, DS3): a learner, addresses for some members.</summary>
    private static readonly ClusterConfiguration ThreeAndALearnerWithAddresses = ClusterConfiguration.Of(1, 2, 3).AddLearner(4)
        .WithAddress(1, "10.0.0.1:12379").WithAddress(4, "node-4.example:42379").WithPromoteWhenCaughtUp(4, true);

    /// <summary>Addresses and no learners: the learners are still written (as none) under the addresses manifests.</summary>
    private static readonly ClusterConfiguration ThreeWithAddresses = ClusterConfiguration.Of(1, 2, 3)
        .WithAddress(1, "[::1]:1").WithAddress(2, "h:2").WithAddress(3, "h:3");

    /// <summary>Written under the "with storage ids" manifests (CC4, SM4, SD4, IS4, DS4): format 3 plus each member's storage.</summary>
    private static readonly ClusterConfiguration ThreeAndALearnerWithStorageIds = ThreeAndALearnerWithAddresses
        .WithStorageIds([new(1, 0x0102030405060708UL), new(4, ulong.MaxValue)]);

    private static readonly LogEntry[] Entries =
    [
        new(41, 7, EntryKind.NoOp, []),
        new(42, 7, EntryKind.Command, StackCommandCodec.Encode(new PushValue("k", "s", "v"))),
        new(43, 8, EntryKind.Configuration, Five.Encode()),
    ];

    public static IEnumerable<object> All()
    {
        // Raft messages.
        yield return new RequestVote(ClusterId, 1, 2, 9, PreVote: true, 100, 8, LeadershipTransfer: false);
        yield return new RequestVote(ulong.MaxValue, int.MaxValue, int.MinValue, long.MaxValue, false, long.MaxValue, long.MaxValue, true);
        yield return new RequestVoteResponse(ClusterId, 2, 1, 9, PreVote: false, Granted: true);
        yield return new AppendEntries(ClusterId, 1, 3, 8, 40, 7, Entries, 42);
        yield return new AppendEntries(ClusterId, 1, 3, 8, 0, 0, [], 0);
        yield return new AppendEntries(0, 0, 0, 0, -1, -1, [new LogEntry(long.MaxValue, long.MaxValue, EntryKind.Command, [1, 2, 3]), new LogEntry(1, 0, EntryKind.NoOp, [])], long.MinValue);
        yield return new AppendEntriesResponse(ClusterId, 3, 1, 8, Success: true, 43, 0, 0);
        yield return new AppendEntriesResponse(ClusterId, 3, 1, 8, Success: false, 0, 17, 5);
        yield return new Heartbeat(ClusterId, 1, 4, 8, 42, 1234567);
        yield return new HeartbeatResponse(ClusterId, 4, 1, 8, 1234567);
        yield return new InstallSnapshot(ClusterId, 1, 5, 8, new SnapshotMetadata(1000, 7, Five), 65536, [9, 8, 7, 0, 255], Done: false);
        yield return new InstallSnapshot(ClusterId, 1, 5, 8, new SnapshotMetadata(0, 0, new ClusterConfiguration([])), 0, [], Done: true);
        yield return new InstallSnapshot(ClusterId, 1, 4, 8, new SnapshotMetadata(1000, 7, ThreeAndTwoLearners), 0, [1], Done: true);
        yield return new InstallSnapshot(ClusterId, 1, 4, 8, new SnapshotMetadata(1000, 7, ThreeAndALearnerWithAddresses), 0, [1], Done: true);
        yield return new InstallSnapshotResponse(ClusterId, 5, 1, 8, 1000, 131072, Done: true);
        // The answers with their sender's storage id (RVR2, AER2, HBR2, ISR2).
        yield return new RequestVoteResponse(ClusterId, 2, 1, 9, PreVote: true, Granted: false) { StorageId = 0x0102030405060708UL };
        yield return new AppendEntriesResponse(ClusterId, 3, 1, 8, Success: true, 43, 0, 0) { StorageId = ulong.MaxValue };
        yield return new HeartbeatResponse(ClusterId, 4, 1, 8, 1234567) { StorageId = 1 };
        yield return new InstallSnapshotResponse(ClusterId, 5, 1, 8, 1000, 131072, Done: true) { StorageId = 42 };
        yield return new InstallSnapshot(ClusterId, 1, 4, 8, new SnapshotMetadata(1000, 7, ThreeAndALearnerWithStorageIds), 0, [1], Done: true);
        yield return new TimeoutNow(ClusterId, 1, 2, 8);
        yield return new ReadIndexRequest(ClusterId, 2, 1, 8, 77);
        yield return new ReadIndexResponse(ClusterId, 1, 2, 8, 77, 42, null);
        yield return new ReadIndexResponse(ClusterId, 1, 2, 8, 78, 0, ReadRejection.NoLeader);
        yield return new ReadIndexResponse(ClusterId, 1, 2, 8, 79, 0, ReadRejection.LeadershipTransfer);
        yield return new ReadIndexResponse(ClusterId, 1, 2, 8, 80, 0, ReadRejection.LostLeadership);

        // Raft data.
        foreach (var entry in Entries) yield return entry;
        yield return Five;
        yield return ClusterConfiguration.Of(1);
        yield return HardState.Empty;
        yield return new HardState(12, 3);
        yield return new SnapshotMetadata(500, 6, Five);
        yield return new SnapshotData(new SnapshotMetadata(500, 6, Five), [1, 2, 3, 4]);
        yield return ThreeAndTwoLearners;
        yield return new LogEntry(44, 8, EntryKind.Configuration, ThreeAndTwoLearners.Encode());
        yield return new SnapshotMetadata(500, 6, ThreeAndTwoLearners);
        yield return new SnapshotData(new SnapshotMetadata(500, 6, ThreeAndTwoLearners), [1, 2, 3, 4]);
        yield return ThreeAndALearnerWithAddresses;
        yield return ThreeWithAddresses;
        yield return new LogEntry(45, 8, EntryKind.Configuration, ThreeAndALearnerWithAddresses.Encode());
        yield return new SnapshotMetadata(500, 6, ThreeWithAddresses);
        yield return new SnapshotData(new SnapshotMetadata(500, 6, ThreeAndALearnerWithAddresses), [1, 2, 3, 4]);
        yield return ThreeAndALearnerWithStorageIds;
        yield return new LogEntry(46, 8, EntryKind.Configuration, ThreeAndALearnerWithStorageIds.Encode());
        yield return new SnapshotMetadata(500, 6, ThreeAndALearnerWithStorageIds);
        yield return new SnapshotData(new SnapshotMetadata(500, 6, ThreeAndALearnerWithStorageIds), [1, 2, 3, 4]);

        // Node protocol and the stack types inside it.
        StackCommand[] commands =
        [
            new CreateStack("req-1", "orders"), new DeleteStack("req-2", "orders"),
            new PushValue("req-3", "日本", "zürich 🚀"), new PopValue("", ""),
            new PushValues("req-4", "s", ["a", "ü", ""]) { KeyFromClient = true }, new PopValues("req-5", "s", 1000),
        ];
        foreach (var command in commands)
        {
            yield return command;
            yield return new ExecuteCommand(command);
            yield return new ForwardedCommand(command, 3);
        }
        yield return new ForwardedCommands(ulong.MaxValue, 3, [.. commands.Select((command, i) => new ForwardedWriteCopy((1L << 62) + i, command))]);
        yield return new ForwardedCommands(7, 2, []);
        yield return new ForwardedAnswers(ulong.MaxValue, 1,
        [
            new ForwardedAnswer(long.MaxValue, new Completed(new StackResult(StackOutcome.Ok, "v", 2))),
            new ForwardedAnswer(0, new Completed(new StackResult(StackOutcome.Ok, Size: 3, Values: ["b", "ü"]))),
            new ForwardedAnswer(-1, new NotStarted("not the leader")),
            new ForwardedAnswer(5, new OutcomeUnknown("leadership lost")),
        ]);
        yield return new ForwardedAnswers(7, 2, []);
        yield return new ForwardedBatchesSupported(ulong.MaxValue, 4);
        StackQuery[] queries =
        [
            new StackExists("a"), new TopOfStack("b"), new SizeOfStack("ç"), new DescribeStack("d"),
            new ListStacks("", 1000), new ListStacks("after-this", 1), new CaptureState(),
        ];
        foreach (var query in queries)
        {
            yield return query;
            yield return new ExecuteQuery(query);
        }
        StackResult[] results =
        [
            new(StackOutcome.Ok, "value"), new(StackOutcome.Ok, Size: long.MaxValue), new(StackOutcome.Ok, ""),
            new(StackOutcome.Created), new(StackOutcome.AlreadyExists), new(StackOutcome.NotFound),
            new(StackOutcome.Empty), new(StackOutcome.Ok, "v", -1),
            new(StackOutcome.Ok, Size: 3, Values: ["b", "a"]), new(StackOutcome.Ok, Values: []),
        ];
        foreach (var result in results)
        {
            yield return result;
            yield return new Completed(result);
        }
        yield return GetNodeStatus.Instance;
        yield return HandOverLeadership.Instance;
        yield return new LeadershipHandedOver(true, 2);
        yield return new LeadershipHandedOver(false, null);
        yield return new PeerSilenceNotice(0xfeedfacecafebeefUL, 3, 1, 2000);
        yield return new CommandFormatsSupported(0xfeedfacecafebeefUL, 4, 3);

        // Membership changes a follower forwards, and the leader's answers to the follower's gateway.
        yield return new ForwardedMembershipChange(ClusterId, 2, ConfigurationChange.AddLearner(4, "127.0.0.1:42379", promoteWhenCaughtUp: true));
        yield return new ForwardedMembershipChange(ClusterId, 3, ConfigurationChange.AddLearner(4));
        yield return new ForwardedMembershipChange(ClusterId, 3, ConfigurationChange.Promote(4));
        yield return new ForwardedMembershipChange(ClusterId, 5, ConfigurationChange.Remove(1));
        // Format 3 without addresses: a learner marked to be promoted once caught up.
        yield return ClusterConfiguration.Of(1, 2, 3).AddLearner(4).WithPromoteWhenCaughtUp(4, true);
        yield return new MembershipReply.Done("node 4 added as a learner", ThreeAndALearnerWithAddresses);
        yield return new MembershipReply.Done("node 2 removed", ClusterConfiguration.Of(1, 3));
        yield return new MembershipReply.Done("node 5 added", ThreeAndTwoLearners);
        yield return new MembershipReply.Refused(ConfigurationRefusal.AddressInUse, "address in use");
        yield return new MembershipReply.Refused(ConfigurationRefusal.OwnTermNotCommitted, "new leader");
        yield return new MembershipReply.NotStarted("no leader", null);
        yield return new MembershipReply.NotStarted("ask node 2", 2);
        yield return new MembershipReply.OutcomeUnknown("not seen committed");
        yield return new NotStarted("no leader known");
        yield return new OutcomeUnknown("leader 2 did not answer within 2 s");
        yield return new MemberStatus(2, "akka.tcp://diststack@127.0.0.1:4052", true, 42);
        yield return new MemberStatus(3, "", false, null);
        yield return new MemberStatus(4, "akka.tcp://diststack@127.0.0.1:4054", true, null, 120);
        yield return new NodeStatus(1, "c0ffee", RaftRole.Leader, 8, 1, 42, 42, 43, 10, "00000000deadbeef",
        [
            new MemberStatus(2, "akka.tcp://diststack@127.0.0.1:4052", true, 42),
            new MemberStatus(3, "akka.tcp://diststack@127.0.0.1:4053", false, null),
        ]);
        yield return new NodeStatus(4, "", RaftRole.PreCandidate, 0, null, 0, 0, 0, 0, "", []);

        // Overview protocol (GET /cluster/overview).
        var lost = new NodeEvent(7, 1_796_000_000_123, 2, NodeEventKind.LeaderLost, 8, LeaderId: 3, LastHeardAtMs: 1_796_000_000_001);
        var snapshot = new NodeEvent(long.MaxValue, 0, int.MaxValue, NodeEventKind.SnapshotInstalled, long.MaxValue, "leader", 1, 2, 3, 4, 5, 6);
        yield return lost;
        yield return snapshot;
        yield return GetNodeOverview.Instance;
        yield return new NodeOverview(2, new NodeStatus(2, "c0ffee", RaftRole.Follower, 8, null, 40, 40, 41, 0, "ab",
            [new MemberStatus(3, "127.0.0.1:4053", false, null, 1500)]), 1_796_000_000_100, 1_796_000_000_130, 12, 34, [lost, snapshot]);
        yield return new NodeOverview(5, null, 0, 0, 0, 0, []);

        // Journal events and the snapshot-store record.
        yield return new HardStateRecorded(9, 2);
        yield return new HardStateRecorded(0, HardState.NoVote);
        yield return new EntryAppended(Entries[1]);
        yield return new EntriesAppended(Entries);
        yield return new EntryAppended(new LogEntry(1, 0, EntryKind.Configuration, Five.Encode()));
        yield return new LogTruncated(17);
        yield return new NodeBootstrapped(ClusterId, 3, Five);
        yield return new DurableSnapshot(ClusterId, 3, new HardState(9, 2),
            new SnapshotData(new SnapshotMetadata(40, 7, Five), StackSnapshotCodec.Write(StackState.Empty(new StackStateOptions()))),
            Entries);
        yield return new DurableSnapshot(ClusterId, 3, HardState.Empty,
            new SnapshotData(new SnapshotMetadata(0, 0, ClusterConfiguration.Of(3)), []), []);
        yield return new DurableSnapshot(ClusterId, 4, new HardState(9, 0),
            new SnapshotData(new SnapshotMetadata(40, 7, ThreeAndTwoLearners), [5]), Entries);
        yield return new DurableSnapshot(ClusterId, 4, new HardState(9, 0),
            new SnapshotData(new SnapshotMetadata(40, 7, ThreeAndALearnerWithAddresses), [5]), Entries);
        // A node started with --join records the cluster it joined with no configuration of its own yet.
        yield return new NodeBootstrapped(ClusterId, 4, new ClusterConfiguration([]));
    }

    /// <summary>Asserts structural equality: records compared member by member, lists and arrays element-wise.</summary>
    public static void AssertDeepEqual(object? expected, object? actual, string path = "$")
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}");
            return;
        }
        // Lists compare by contents whatever their concrete type (a collection expression is not an array).
        if (expected is System.Collections.IEnumerable expectedItems && expected is not string)
        {
            Assert.True(actual is System.Collections.IEnumerable, $"{path}: expected a list, got {actual.GetType().Name}");
            var e = expectedItems.Cast<object?>().ToList();
            var a = ((System.Collections.IEnumerable)actual).Cast<object?>().ToList();
            Assert.True(e.Count == a.Count, $"{path}: expected {e.Count} items, got {a.Count}");
            for (var i = 0; i < e.Count; i++) AssertDeepEqual(e[i], a[i], $"{path}[{i}]");
            return;
        }
        Assert.True(expected.GetType() == actual.GetType(), $"{path}: expected type {expected.GetType().Name}, got {actual.GetType().Name}");
        var type = expected.GetType();
        if (type.IsPrimitive || type.IsEnum || expected is string or decimal)
        {
            Assert.True(Equals(expected, actual), $"{path}: expected {expected}, got {actual}");
            return;
        }
        foreach (var property in type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.Name == "EqualityContract") continue;
            AssertDeepEqual(property.GetValue(expected), property.GetValue(actual), $"{path}.{property.Name}");
        }
    }

    public static ImmutableHashSet<Type> SampledTypes() => All().Select(o => o.GetType()).ToImmutableHashSet();
}
