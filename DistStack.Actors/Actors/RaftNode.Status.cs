using Akka.Event;
using Akka.Actor;
using Akka.Cluster;
using DistStack.Actors.Hosting;
using DistStack.Actors.Raft;

namespace DistStack.Actors.Actors;

// GetNodeStatus: the core's view plus the registry's applied index and digest, and each member's reachability
// as Akka.Cluster sees it. Reachability is for DISPLAY only: Raft never consults it.
public sealed partial class RaftNode
{
    private RegistryApplied _applied = new(0, 0);

    private NodeStatus BuildStatus()
    {
        var clusterId = ClusterIdentity.Format(_settings.ClusterId);
        if (_core is null)
            return new NodeStatus(_settings.NodeId, clusterId, RaftRole.Follower, _persisted.HardState.Term, null,
                0, _applied.AppliedIndex, _persisted.LastIndex, _persisted.SnapshotIndex,
                _applied.Digest.ToString("x16"),
                [.. _settings.Members.Select(m => new MemberStatus(m.NodeId, m.ToString(), m.NodeId == _settings.NodeId, null))]);

        var status = Core.Status;
        var reachable = ReachableMembers();
        var members = _settings.Members.Select(m => new MemberStatus(
                m.NodeId,
                m.ToString(),
                m.NodeId == _settings.NodeId || (reachable?.Contains((m.Host, m.Port)) ?? false),
                status.Role == RaftRole.Leader && status.MatchIndex.TryGetValue(m.NodeId, out var match) ? match : null))
            .ToList();
        return new NodeStatus(
            _settings.NodeId, clusterId, status.Role, status.Term, status.LeaderId,
            status.CommitIndex, _applied.AppliedIndex, status.LastLogIndex, status.SnapshotIndex,
            _applied.Digest.ToString("x16"), members);
    }

    /// <summary>Members Akka.Cluster currently sees as up and reachable; null without cluster provider (unit tests).</summary>
    private HashSet<(string Host, int Port)>? ReachableMembers()
    {
        if (((ExtendedActorSystem)Context.System).Provider is not Akka.Cluster.ClusterActorRefProvider) return null;
        var state = Cluster.Get(Context.System).State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        return state.Members
            .Where(m => m.Status is Akka.Cluster.MemberStatus.Up or Akka.Cluster.MemberStatus.Joining or Akka.Cluster.MemberStatus.WeaklyUp && !unreachable.Contains(m.Address))
            .Select(m => (m.Address.Host ?? "", m.Address.Port ?? 0))
            .ToHashSet();
    }
}
