using DistStack.Actors.Node;
using DistStack.Actors.Observability;
using DistStack.Actors.Wire;

namespace DistStack.Actors.Serialization;

// The overview protocol (host -> peers' /user/node-overview): a node's status and its event ring, for
// GET /cluster/overview and the dashboard.
public sealed partial class DistStackSerializer
{
    internal static class OverviewManifests
    {
        public const string GetNodeOverview = "GNO1";
        public const string NodeOverview = "NO1";
        public const string NodeEvent = "NE1";
    }

    private static string? OverviewManifest(object o) => o switch
    {
        GetNodeOverview => OverviewManifests.GetNodeOverview,
        NodeOverview => OverviewManifests.NodeOverview,
        NodeEvent => OverviewManifests.NodeEvent,
        _ => null,
    };

    private static bool TryWriteOverview(WireWriter w, object o)
    {
        switch (o)
        {
            case GetNodeOverview:
                return true;
            case NodeOverview m:
                w.WriteVarInt(m.NodeId);
                w.WriteBool(m.Status is not null);
                if (m.Status is not null) WriteNodeStatus(w, m.Status);
                w.WriteVarInt(m.StatusAtMs);
                w.WriteVarInt(m.AnsweredAtMs);
                w.WriteVarInt(m.WritesAcknowledged);
                w.WriteVarInt(m.ReadsServed);
                w.WriteCount(m.Events.Count);
                for (var i = 0; i < m.Events.Count; i++) WriteNodeEvent(w, m.Events[i]);
                return true;
            case NodeEvent m:
                WriteNodeEvent(w, m);
                return true;
            default:
                return false;
        }
    }

    private static object? ReadOverview(ref WireReader r, string manifest) => manifest switch
    {
        OverviewManifests.GetNodeOverview => GetNodeOverview.Instance,
        OverviewManifests.NodeOverview => ReadNodeOverview(ref r),
        OverviewManifests.NodeEvent => ReadNodeEvent(ref r),
        _ => null,
    };

    private static NodeOverview ReadNodeOverview(ref WireReader r)
    {
        var nodeId = r.ReadInt32();
        NodeStatus? status = r.ReadBool() ? ReadNodeStatus(ref r) : null;
        var statusAt = r.ReadVarInt();
        var answeredAt = r.ReadVarInt();
        var writes = r.ReadVarInt();
        var reads = r.ReadVarInt();
        var events = new NodeEvent[r.ReadCount(minimumItemSize: 6)];
        for (var i = 0; i < events.Length; i++) events[i] = ReadNodeEvent(ref r);
        return new NodeOverview(nodeId, status, statusAt, answeredAt, writes, reads, events);
    }

    private static void WriteNodeEvent(WireWriter w, NodeEvent e)
    {
        w.WriteVarInt(e.Sequence);
        w.WriteVarInt(e.AtMs);
        w.WriteVarInt(e.NodeId);
        w.WriteByte((byte)e.Kind);
        w.WriteVarInt(e.Term);
        w.WriteNullableString(e.Role);
        w.WriteNullableVarInt(e.LeaderId);
        w.WriteNullableVarInt(e.PeerId);
        w.WriteNullableVarInt(e.Index);
        w.WriteNullableVarInt(e.LastHeardAtMs);
        w.WriteNullableVarInt(e.DurationMs);
        w.WriteNullableVarInt(e.Bytes);
    }

    private static NodeEvent ReadNodeEvent(ref WireReader r) => new(
        r.ReadVarInt(),
        r.ReadVarInt(),
        r.ReadInt32(),
        r.ReadEnum<NodeEventKind>((byte)NodeEventKind.Started, (byte)NodeEventKind.SnapshotInstalled),
        r.ReadVarInt(),
        r.ReadNullableString(),
        r.ReadNullableInt32(),
        r.ReadNullableInt32(),
        r.ReadNullableVarInt(),
        r.ReadNullableVarInt(),
        r.ReadNullableVarInt(),
        r.ReadNullableVarInt());
}
