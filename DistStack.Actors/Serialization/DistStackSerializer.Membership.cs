using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Wire;

namespace DistStack.Actors.Serialization;

// Membership changes a follower forwards to the leader, and the leader's answers to the follower's gateway.
public sealed partial class DistStackSerializer
{
    internal static class MembershipManifests
    {
        public const string ForwardedMembershipChange = "FMC1";
        public const string Done = "MRD1";
        public const string Refused = "MRR1";
        public const string NotStarted = "MRN1";
        public const string OutcomeUnknown = "MRU1";
    }

    private static string? MembershipManifest(object o) => o switch
    {
        ForwardedMembershipChange => MembershipManifests.ForwardedMembershipChange,
        MembershipReply.Done => MembershipManifests.Done,
        MembershipReply.Refused => MembershipManifests.Refused,
        MembershipReply.NotStarted => MembershipManifests.NotStarted,
        MembershipReply.OutcomeUnknown => MembershipManifests.OutcomeUnknown,
        _ => null,
    };

    private static bool TryWriteMembership(WireWriter w, object o)
    {
        switch (o)
        {
            case ForwardedMembershipChange m:
                w.WriteUInt64Fixed(m.ClusterId);
                w.WriteVarInt(m.OriginNodeId);
                w.WriteByte((byte)m.Change.Kind);
                w.WriteVarInt(m.Change.NodeId);
                w.WriteNullableString(m.Change.Address);
                w.WriteBool(m.Change.PromoteWhenCaughtUp);
                return true;
            case MembershipReply.Done m:
                w.WriteString(m.Detail);
                w.WriteByte((byte)LayoutOf(m.Configuration));
                WriteConfiguration(w, m.Configuration);
                return true;
            case MembershipReply.Refused m:
                w.WriteByte((byte)m.Reason);
                w.WriteString(m.Detail);
                return true;
            case MembershipReply.NotStarted m:
                w.WriteString(m.Detail);
                w.WriteNullableVarInt(m.LeaderId);
                return true;
            case MembershipReply.OutcomeUnknown m:
                w.WriteString(m.Detail);
                return true;
            default:
                return false;
        }
    }

    private static object? ReadMembership(ref WireReader r, string manifest)
    {
        switch (manifest)
        {
            case MembershipManifests.ForwardedMembershipChange:
            {
                var clusterId = r.ReadUInt64Fixed();
                var origin = r.ReadInt32();
                var kind = r.ReadEnum<ConfigurationChangeKind>((byte)ConfigurationChangeKind.AddLearner, (byte)ConfigurationChangeKind.Remove);
                return new ForwardedMembershipChange(clusterId, origin,
                    new ConfigurationChange(kind, r.ReadInt32(), r.ReadNullableString(), r.ReadBool()));
            }
            case MembershipManifests.Done:
            {
                var detail = r.ReadString();
                var layout = r.ReadEnum<ConfigurationLayout>((byte)ConfigurationLayout.VotersOnly, (byte)ConfigurationLayout.WithStorageIds);
                return new MembershipReply.Done(detail, ReadConfiguration(ref r, layout));
            }
            case MembershipManifests.Refused:
                return new MembershipReply.Refused(
                    r.ReadEnum<ConfigurationRefusal>((byte)ConfigurationRefusal.OwnTermNotCommitted, (byte)ConfigurationRefusal.AddressInUse),
                    r.ReadString());
            case MembershipManifests.NotStarted:
                return new MembershipReply.NotStarted(r.ReadString(), r.ReadNullableInt32());
            case MembershipManifests.OutcomeUnknown:
                return new MembershipReply.OutcomeUnknown(r.ReadString());
            default:
                return null;
        }
    }
}
