using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;

using DistStack.Actors.Wire;

namespace DistStack.Actors.Serialization;

// The node protocol (gateway <-> RaftNode <-> leader) and the stack commands, queries and results inside it.
public sealed partial class DistStackSerializer
{
    internal static class NodeManifests
    {
        public const string ExecuteCommand = "XC1";
        public const string ExecuteQuery = "XQ1";
        public const string ForwardedCommand = "FC1";
        public const string ForwardedCommands = "FCB1";
        public const string ForwardedAnswers = "FAB1";
        public const string ForwardedBatchesSupported = "FBS1";
        public const string GetNodeStatus = "GNS1";
        public const string HandOverLeadership = "HOL1";
        public const string LeadershipHandedOver = "LHO1";
        public const string PeerSilenceNotice = "PSN1";
        public const string Completed = "RC1";
        /// <summary>A result carrying many values (pop of many, listing): RC1/SR1 followed by the values.</summary>
        public const string CompletedWithValues = "RC2";
        public const string CommandFormatsSupported = "CFS1";
        public const string NotStarted = "RNS1";
        public const string OutcomeUnknown = "ROU1";
        public const string NodeStatus = "NS1";
        public const string MemberStatus = "MS1";
        public const string StackCommand = "SC1";
        public const string StackQuery = "SQ1";
        public const string StackResult = "SR1";
        public const string StackResultWithValues = "SR2";
    }

    private static string? NodeManifest(object o) => o switch
    {
        ExecuteCommand => NodeManifests.ExecuteCommand,
        ExecuteQuery => NodeManifests.ExecuteQuery,
        ForwardedCommand => NodeManifests.ForwardedCommand,
        ForwardedCommands => NodeManifests.ForwardedCommands,
        ForwardedAnswers => NodeManifests.ForwardedAnswers,
        ForwardedBatchesSupported => NodeManifests.ForwardedBatchesSupported,
        GetNodeStatus => NodeManifests.GetNodeStatus,
        HandOverLeadership => NodeManifests.HandOverLeadership,
        LeadershipHandedOver => NodeManifests.LeadershipHandedOver,
        PeerSilenceNotice => NodeManifests.PeerSilenceNotice,
        CommandFormatsSupported => NodeManifests.CommandFormatsSupported,
        Completed { Result.Values: not null } => NodeManifests.CompletedWithValues,
        Completed => NodeManifests.Completed,
        NotStarted => NodeManifests.NotStarted,
        OutcomeUnknown => NodeManifests.OutcomeUnknown,
        NodeStatus => NodeManifests.NodeStatus,
        MemberStatus => NodeManifests.MemberStatus,
        StackCommand => NodeManifests.StackCommand,
        StackQuery => NodeManifests.StackQuery,
        StackResult { Values: not null } => NodeManifests.StackResultWithValues,
        StackResult => NodeManifests.StackResult,
        _ => null,
    };

    private static bool TryWriteNode(WireWriter w, object o)
    {
        switch (o)
        {
            case ExecuteCommand m:
                WriteCommand(w, m.Command);
                return true;
            case ExecuteQuery m:
                WriteQuery(w, m.Query);
                return true;
            case ForwardedCommand m:
                WriteCommand(w, m.Command);
                w.WriteVarInt(m.OriginNodeId);
                return true;
            case ForwardedCommands m:
                w.WriteUInt64Fixed(m.ClusterId);
                w.WriteVarInt(m.OriginNodeId);
                w.WriteCount(m.Writes.Count);
                foreach (var write in m.Writes)
                {
                    w.WriteVarInt(write.WriteId);
                    WriteCommand(w, write.Command);
                }
                return true;
            case ForwardedAnswers m:
                w.WriteUInt64Fixed(m.ClusterId);
                w.WriteVarInt(m.From);
                w.WriteCount(m.Answers.Count);
                foreach (var answer in m.Answers)
                {
                    w.WriteVarInt(answer.WriteId);
                    WriteReply(w, answer.Reply);
                }
                return true;
            case ForwardedBatchesSupported m:
                w.WriteUInt64Fixed(m.ClusterId);
                w.WriteVarInt(m.From);
                return true;
            case GetNodeStatus or HandOverLeadership:
                return true;
            case LeadershipHandedOver m:
                w.WriteBool(m.WasLeader);
                w.WriteNullableVarInt(m.NewLeaderId);
                return true;
            case PeerSilenceNotice m:
                w.WriteUInt64Fixed(m.ClusterId);
                w.WriteVarInt(m.From);
                w.WriteVarInt(m.To);
                w.WriteVarInt(m.SilentForMs);
                return true;
            case CommandFormatsSupported m:
                w.WriteUInt64Fixed(m.ClusterId);
                w.WriteVarInt(m.From);
                w.WriteByte(m.MaxCommandVersion);
                return true;
            case Completed m:
                WriteResult(w, m.Result);
                return true;
            case NotStarted m:
                w.WriteString(m.Reason);
                return true;
            case OutcomeUnknown m:
                w.WriteString(m.Reason);
                return true;
            case NodeStatus m:
                WriteNodeStatus(w, m);
                return true;
            case MemberStatus m:
                WriteMemberStatus(w, m);
                return true;
            case StackCommand m:
                WriteCommand(w, m);
                return true;
            case StackQuery m:
                WriteQuery(w, m);
                return true;
            case StackResult m:
                WriteResult(w, m);
                return true;
            default:
                return false;
        }
    }

    private static object? ReadNode(ref WireReader r, string manifest) => manifest switch
    {
        NodeManifests.ExecuteCommand => new ExecuteCommand(ReadCommand(ref r)),
        NodeManifests.ExecuteQuery => new ExecuteQuery(ReadQuery(ref r)),
        NodeManifests.ForwardedCommand => new ForwardedCommand(ReadCommand(ref r), r.ReadInt32()),
        NodeManifests.ForwardedCommands => ReadForwardedCommands(ref r),
        NodeManifests.ForwardedAnswers => ReadForwardedAnswers(ref r),
        NodeManifests.ForwardedBatchesSupported => new ForwardedBatchesSupported(r.ReadUInt64Fixed(), r.ReadInt32()),
        NodeManifests.GetNodeStatus => GetNodeStatus.Instance,
        NodeManifests.HandOverLeadership => HandOverLeadership.Instance,
        NodeManifests.LeadershipHandedOver => new LeadershipHandedOver(r.ReadBool(), r.ReadNullableInt32()),
        NodeManifests.PeerSilenceNotice => new PeerSilenceNotice(r.ReadUInt64Fixed(), r.ReadInt32(), r.ReadInt32(), r.ReadVarInt()),
        NodeManifests.CommandFormatsSupported => new CommandFormatsSupported(r.ReadUInt64Fixed(), r.ReadInt32(), r.ReadByte()),
        NodeManifests.Completed => new Completed(ReadResult(ref r)),
        NodeManifests.CompletedWithValues => new Completed(ReadResultWithValues(ref r)),
        NodeManifests.NotStarted => new NotStarted(r.ReadString()),
        NodeManifests.OutcomeUnknown => new OutcomeUnknown(r.ReadString()),
        NodeManifests.NodeStatus => ReadNodeStatus(ref r),
        NodeManifests.MemberStatus => ReadMemberStatus(ref r),
        NodeManifests.StackCommand => ReadCommand(ref r),
        NodeManifests.StackQuery => ReadQuery(ref r),
        NodeManifests.StackResult => ReadResult(ref r),
        NodeManifests.StackResultWithValues => ReadResultWithValues(ref r),
        _ => null,
    };

    private static ForwardedCommands ReadForwardedCommands(ref WireReader r)
    {
        var clusterId = r.ReadUInt64Fixed();
        var origin = r.ReadInt32();
        var writes = new ForwardedWriteCopy[r.ReadCount(minimumItemSize: 2)];
        for (var i = 0; i < writes.Length; i++) writes[i] = new ForwardedWriteCopy(r.ReadVarInt(), ReadCommand(ref r));
        return new ForwardedCommands(clusterId, origin, writes);
    }

    private static ForwardedAnswers ReadForwardedAnswers(ref WireReader r)
    {
        var clusterId = r.ReadUInt64Fixed();
        var from = r.ReadInt32();
        var answers = new ForwardedAnswer[r.ReadCount(minimumItemSize: 2)];
        for (var i = 0; i < answers.Length; i++) answers[i] = new ForwardedAnswer(r.ReadVarInt(), ReadReply(ref r));
        return new ForwardedAnswers(clusterId, from, answers);
    }

    // A reply inside a batch: a kind byte, then what the reply's own manifest (RC1, RC2, RNS1, ROU1) carries.
    private const byte ReplyCompleted = 1;
    private const byte ReplyCompletedWithValues = 2;
    private const byte ReplyNotStarted = 3;
    private const byte ReplyOutcomeUnknown = 4;

    private static void WriteReply(WireWriter w, NodeReply reply)
    {
        switch (reply)
        {
            case Completed { Result.Values: not null } m:
                w.WriteByte(ReplyCompletedWithValues);
                WriteResult(w, m.Result);
                break;
            case Completed m:
                w.WriteByte(ReplyCompleted);
                WriteResult(w, m.Result);
                break;
            case NotStarted m:
                w.WriteByte(ReplyNotStarted);
                w.WriteString(m.Reason);
                break;
            case OutcomeUnknown m:
                w.WriteByte(ReplyOutcomeUnknown);
                w.WriteString(m.Reason);
                break;
            default:
                throw Unsupported(reply);
        }
    }

    private static NodeReply ReadReply(ref WireReader r)
    {
        var kind = r.ReadByte();
        return kind switch
        {
            ReplyCompleted => new Completed(ReadResult(ref r)),
            ReplyCompletedWithValues => new Completed(ReadResultWithValues(ref r)),
            ReplyNotStarted => new NotStarted(r.ReadString()),
            ReplyOutcomeUnknown => new OutcomeUnknown(r.ReadString()),
            _ => throw r.Malformed($"{kind} is not a reply kind"),
        };
    }

    // A command travels in exactly the bytes it will have in the log (StackCommandCodec, itself versioned).
    private static void WriteCommand(WireWriter w, StackCommand command)
    {
        byte[] encoded;
        try { encoded = StackCommandCodec.Encode(command); }
        catch (ArgumentException e) { throw new System.Runtime.Serialization.SerializationException(e.Message, e); }
        w.WriteBytes(encoded);
    }

    private static StackCommand ReadCommand(ref WireReader r)
    {
        var bytes = r.ReadByteSpan();
        try { return StackCommandCodec.Decode(bytes); }
        catch (FormatException e) { throw r.Malformed(e.Message); }
    }

    private const byte QueryExists = 1;
    private const byte QueryTop = 2;
    private const byte QuerySize = 3;
    private const byte QueryDescribe = 4;
    private const byte QueryList = 5;
    private const byte QueryCaptureState = 6;

    private static void WriteQuery(WireWriter w, StackQuery query)
    {
        w.WriteByte(query switch
        {
            StackExists => QueryExists,
            TopOfStack => QueryTop,
            SizeOfStack => QuerySize,
            DescribeStack => QueryDescribe,
            ListStacks => QueryList,
            CaptureState => QueryCaptureState,
            _ => throw Unsupported(query),
        });
        w.WriteString(query.StackId);
        if (query is ListStacks list) w.WriteVarInt(list.Limit);
    }

    private static StackQuery ReadQuery(ref WireReader r)
    {
        var kind = r.ReadByte();
        var stackId = r.ReadString();
        return kind switch
        {
            QueryExists => new StackExists(stackId),
            QueryTop => new TopOfStack(stackId),
            QuerySize => new SizeOfStack(stackId),
            QueryDescribe => new DescribeStack(stackId),
            QueryList => new ListStacks(stackId, r.ReadInt32()),
            QueryCaptureState => new CaptureState(),
            _ => throw r.Malformed($"{kind} is not a stack query kind"),
        };
    }

    private static void WriteResult(WireWriter w, StackResult result)
    {
        w.WriteByte((byte)result.Outcome);
        w.WriteNullableString(result.Value);
        w.WriteVarInt(result.Size);
        if (result.Values is null) return;
        w.WriteCount(result.Values.Count);
        foreach (var value in result.Values) w.WriteString(value);
    }

    private static StackResult ReadResult(ref WireReader r) =>
        new(r.ReadEnum<StackOutcome>((byte)StackOutcome.Ok, (byte)StackOutcome.RequestKeysFull), r.ReadNullableString(), r.ReadVarInt());

    private static StackResult ReadResultWithValues(ref WireReader r)
    {
        var result = ReadResult(ref r);
        var values = new string[r.ReadCount()];
        for (var i = 0; i < values.Length; i++) values[i] = r.ReadString();
        return result with { Values = values };
    }

    private static void WriteNodeStatus(WireWriter w, NodeStatus s)
    {
        w.WriteVarInt(s.NodeId);
        w.WriteString(s.ClusterId);
        w.WriteByte((byte)s.Role);
        w.WriteVarInt(s.Term);
        w.WriteNullableVarInt(s.LeaderId);
        w.WriteVarInt(s.CommitIndex);
        w.WriteVarInt(s.AppliedIndex);
        w.WriteVarInt(s.LastLogIndex);
        w.WriteVarInt(s.SnapshotIndex);
        w.WriteString(s.StateDigest);
        w.WriteCount(s.Members.Count);
        for (var i = 0; i < s.Members.Count; i++) WriteMemberStatus(w, s.Members[i]);
    }

    private static NodeStatus ReadNodeStatus(ref WireReader r)
    {
        var nodeId = r.ReadInt32();
        var clusterId = r.ReadString();
        var role = r.ReadEnum<RaftRole>((byte)RaftRole.Follower, (byte)RaftRole.Leader);
        var term = r.ReadVarInt();
        var leaderId = r.ReadNullableInt32();
        var commitIndex = r.ReadVarInt();
        var appliedIndex = r.ReadVarInt();
        var lastLogIndex = r.ReadVarInt();
        var snapshotIndex = r.ReadVarInt();
        var digest = r.ReadString();
        var members = new MemberStatus[r.ReadCount(minimumItemSize: 4)];
        for (var i = 0; i < members.Length; i++) members[i] = ReadMemberStatus(ref r);
        return new NodeStatus(nodeId, clusterId, role, term, leaderId, commitIndex, appliedIndex, lastLogIndex,
            snapshotIndex, digest, members);
    }

    private static void WriteMemberStatus(WireWriter w, MemberStatus m)
    {
        w.WriteVarInt(m.Id);
        w.WriteString(m.Address);
        w.WriteBool(m.Reachable);
        w.WriteNullableVarInt(m.MatchIndex);
        w.WriteNullableVarInt(m.LastHeardMs);
    }

    private static MemberStatus ReadMemberStatus(ref WireReader r) =>
        new(r.ReadInt32(), r.ReadString(), r.ReadBool(), r.ReadNullableVarInt(), r.ReadNullableVarInt());
}
