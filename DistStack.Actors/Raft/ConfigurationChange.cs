namespace DistStack.Actors.Raft;

/// <summary>One single-server membership change (dissertation §4.1; docs/membership.md).</summary>
/// <param name="Address">
/// For <see cref="ConfigurationChangeKind.AddLearner"/>: the new member's peer address ("host:port"), recorded in the
/// configuration so every member can reach it; null records none (the simulator, which needs no addresses).
/// </param>
/// <param name="PromoteWhenCaughtUp">
/// For <see cref="ConfigurationChangeKind.AddLearner"/>: the configuration marks the learner to be promoted by
/// whichever node leads once it is caught up (<see cref="ClusterConfiguration.PromoteWhenCaughtUp"/>). Asking again
/// with the other value changes only the mark.
/// </param>
public sealed record ConfigurationChange(ConfigurationChangeKind Kind, int NodeId, string? Address = null, bool PromoteWhenCaughtUp = false)
{
    public static ConfigurationChange AddLearner(int nodeId, string? address = null, bool promoteWhenCaughtUp = false) =>
        new(ConfigurationChangeKind.AddLearner, nodeId, address, promoteWhenCaughtUp);
    public static ConfigurationChange Promote(int nodeId) => new(ConfigurationChangeKind.Promote, nodeId);
    public static ConfigurationChange Remove(int nodeId) => new(ConfigurationChangeKind.Remove, nodeId);
}

public enum ConfigurationChangeKind : byte
{
    /// <summary>A new node joins as a learner: it receives the log but is not counted.</summary>
    AddLearner = 1,

    /// <summary>A caught-up learner becomes a voter.</summary>
    Promote = 2,

    /// <summary>A voter or learner leaves.</summary>
    Remove = 3,
}

/// <summary>Answer to <see cref="RaftCore.ProposeConfigurationChange"/>.</summary>
public abstract record ConfigurationChangeResult
{
    private ConfigurationChangeResult() { }

    /// <summary>A configuration entry was appended at (Index, Term); the change is done once it commits.</summary>
    public sealed record Accepted(long Index, long Term) : ConfigurationChangeResult;

    /// <summary>
    /// The configuration already is what the change asks for (a retry): it was set by the entry at
    /// <paramref name="ConfigurationIndex"/>, which may not be committed yet.
    /// </summary>
    public sealed record Unchanged(long ConfigurationIndex) : ConfigurationChangeResult;

    /// <summary>Not the leader; <paramref name="LeaderHint"/> is the leader we know of, if any.</summary>
    public sealed record NotLeader(int? LeaderHint) : ConfigurationChangeResult;

    /// <summary>Leader, but handing leadership over (§3.10): changes are refused meanwhile.</summary>
    public sealed record TransferInProgress(int Target) : ConfigurationChangeResult;

    /// <summary>The leader refused the change and appended nothing.</summary>
    public sealed record Refused(ConfigurationRefusal Reason) : ConfigurationChangeResult;
}

public enum ConfigurationRefusal : byte
{
    /// <summary>
    /// The leader has not committed an entry of its own term yet: until then a configuration entry of an earlier
    /// leader may still be uncommitted somewhere, and a second change could overlap it (the §4.1 pitfall).
    /// </summary>
    OwnTermNotCommitted = 1,

    /// <summary>Another configuration entry is not committed yet: one change at a time.</summary>
    ChangeInProgress = 2,

    /// <summary>Promote or remove of a node that is not a member, or a promote of a voter's opposite (a non-learner).</summary>
    NotAMember = 3,

    /// <summary>Adding as a learner a node that is already a voter.</summary>
    AlreadyAVoter = 4,

    /// <summary>The learner to promote has not caught up with the leader's log (docs/membership.md).</summary>
    LearnerNotCaughtUp = 5,

    /// <summary>
    /// Strict reconfiguration (etcd's): after the change, fewer voters than its quorum would have been heard from
    /// within an election timeout, so the cluster could stop committing.
    /// </summary>
    QuorumAtRisk = 6,

    /// <summary>Removing the only voter would leave a cluster that can never elect a leader.</summary>
    LastVoter = 7,

    /// <summary>Node ids are positive, and an address is host:port (<see cref="ClusterConfiguration.IsValidAddress"/>).</summary>
    InvalidNodeId = 8,

    /// <summary>
    /// The address is another member's, or the node is already a member at another address: two ids on one
    /// address, or one id at two, would send one node's messages to another.
    /// </summary>
    AddressInUse = 9,
}
