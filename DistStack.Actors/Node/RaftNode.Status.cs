using DistStack.Actors.Hosting;
using DistStack.Actors.Raft;

namespace DistStack.Actors.Node;

// GetNodeStatus: the core's view plus the registry's applied index and digest, and each member's reachability
// from Raft's own traffic: a member is reachable when this node heard a Raft message from it within two election
// timeouts. A leader hears every follower at each heartbeat; a follower hears the leader (and candidates), so on
// a follower only the leader's entry says much. Akka.Cluster's view is not used: it lags 10-20 s.
public sealed partial class RaftNode
{
    private RegistryApplied _applied = new(0, 0);

    private long ReachableWithinMs => TicksToMilliseconds(2L * _settings.ElectionTicks);

    private NodeStatus BuildStatus()
    {
        var clusterId = ClusterIdentity.Format(_settings.ClusterId);
        if (_core is null)
            return new NodeStatus(_settings.NodeId, clusterId, RaftRole.Follower, _persisted.HardState.Term, null,
                0, _applied.AppliedIndex, _persisted.LastIndex, _persisted.SnapshotIndex,
                _applied.Digest.ToString("x16"),
                [.. _settings.Members.Select(m => new MemberStatus(m.NodeId, m.ToString(), m.NodeId == _settings.NodeId, null))])
            {
                Membership = _waitingToJoin ? "joining" : null,
                StorageId = StorageIdText,
            };

        var status = Core.Status;
        // The members of the latest configuration, with the address it records (or, for founders, the configured one).
        var members = MembersOf(status.Configuration).Select(id =>
            {
                var self = id == _settings.NodeId;
                var heard = self ? 0 : MillisecondsSinceHeard(id);
                var learner = status.Configuration.IsLearner(id);
                return new MemberStatus(
                    id,
                    EndpointOf(id, status.Configuration)?.ToString() ?? "",
                    heard <= ReachableWithinMs,
                    status.Role == RaftRole.Leader && status.MatchIndex.TryGetValue(id, out var match) ? match : null,
                    heard)
                {
                    Role = learner ? "learner" : "voter",
                    CaughtUp = learner && status.Role == RaftRole.Leader ? Core.IsCaughtUp(id) : null,
                    StorageLost = status.Role == RaftRole.Leader ? status.MembersWithLostStorage.Contains(id) : null,
                };
            })
            .ToList();
        return new NodeStatus(
            _settings.NodeId, clusterId, status.Role, status.Term, status.LeaderId,
            status.CommitIndex, _applied.AppliedIndex, status.LastLogIndex, status.SnapshotIndex,
            _applied.Digest.ToString("x16"), members)
        {
            Membership = MembershipName(status.Membership),
            StorageId = StorageIdText,
            StorageLost = !status.OwnStorageRecorded,
        };
    }

    private string? StorageIdText =>
        _settings.StorageId == 0 ? null : Persistence.NodeIdentityFile.FormatStorageId(_settings.StorageId);

    /// <summary>What this node is in its latest configuration: a removed node says so.</summary>
    private static string MembershipName(Membership membership) => membership switch
    {
        Raft.Membership.Voter => "voter",
        Raft.Membership.Learner => "learner",
        _ => "removed",
    };
}
