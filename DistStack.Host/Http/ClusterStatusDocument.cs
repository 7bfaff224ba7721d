using System.Text.Json.Serialization;
using DistStack.Actors.Node;
using DistStack.Actors.Raft;

namespace DistStack.Host.Http;

/// <summary>
/// The JSON of GET /cluster/status (camelCase). matchIndex is only known on the leader. membership is this node in its
/// latest configuration (voter, learner, removed, joining); learners lists the learners among the members; storageId is
/// this node's storage id, and storageLost says the cluster records another storage for it (its data was lost: replace it).
/// </summary>
public sealed record ClusterStatusDocument(
    int NodeId,
    string ClusterId,
    string Role,
    long Term,
    int? LeaderId,
    long CommitIndex,
    long AppliedIndex,
    long LastLogIndex,
    long SnapshotIndex,
    string StateDigest,
    IReadOnlyList<MemberDocument> Members,
    string? Membership = null,
    IReadOnlyList<int>? Learners = null,
    string? StorageId = null,
    bool? StorageLost = null)
{
    public static ClusterStatusDocument From(NodeStatus status) => new(
        status.NodeId,
        status.ClusterId,
        RoleName(status.Role),
        status.Term,
        status.LeaderId,
        status.CommitIndex,
        status.AppliedIndex,
        status.LastLogIndex,
        status.SnapshotIndex,
        status.StateDigest,
        [.. status.Members.OrderBy(m => m.Id).Select(m => new MemberDocument(m.Id, m.Address, m.Reachable, m.MatchIndex, m.LastHeardMs,
            m.Role, m.CaughtUp, m.StorageLost))],
        status.Membership,
        [.. status.Members.Where(m => m.Role == "learner").Select(m => m.Id).Order()],
        status.StorageId,
        status.StorageLost);

    public static string RoleName(RaftRole role) => role switch
    {
        RaftRole.Leader => "leader",
        RaftRole.Follower => "follower",
        RaftRole.Candidate => "candidate",
        RaftRole.PreCandidate => "precandidate",
        _ => role.ToString().ToLowerInvariant(),
    };
}

/// <summary>
/// One member as the answering node sees it: reachable = it heard a Raft message from that member within two
/// election timeouts; lastHeardMs = how long ago (null = never, in this node's current incarnation);
/// role = voter or learner; caughtUp = for a learner, on the leader, whether it is caught up (null elsewhere);
/// storageLost = on the leader, whether the member answers from another storage than the one recorded for it.
/// </summary>
public sealed record MemberDocument(int Id, string Address, bool Reachable, long? MatchIndex, long? LastHeardMs = null,
    string Role = "voter", bool? CaughtUp = null, bool? StorageLost = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ClusterStatusDocument))]
public sealed partial class HostJsonContext : JsonSerializerContext;
