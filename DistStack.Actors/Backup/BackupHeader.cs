using DistStack.Actors.Raft;

namespace DistStack.Actors.Backup;

/// <summary>
/// What a backup file says about the state it holds: the cluster it was taken from, the log position the state is
/// exactly the result of (<paramref name="Index"/>, <paramref name="Term"/>: every entry up to it applied, none
/// after), the configuration in force there, and which node wrote it when (for the operator; restore ignores both).
/// </summary>
public sealed record BackupHeader(
    ulong ClusterId,
    long Index,
    long Term,
    ClusterConfiguration Configuration,
    int TakenByNodeId,
    long TakenAtUnixMs);
