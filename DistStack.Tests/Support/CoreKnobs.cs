using DistStack.Actors.Raft;

namespace DistStack.Tests.Support;

/// <summary>
/// The knobs the core tests and the scripted simulations were written against: a heartbeat every tick and 64 KiB
/// batches and chunks, so scripted scenarios count ticks and messages simply. A test's choice, not the product's
/// defaults (those are in hocon/diststack.conf).
/// </summary>
public static class CoreKnobs
{
    public static RaftOptions For(int nodeId, ulong clusterId) => new(nodeId, clusterId)
    {
        ElectionTicks = 10,
        HeartbeatTicks = 1,
        MaxEntriesPerAppend = 512,
        MaxBytesPerAppend = 64 * 1024,
        MaxInflightAppends = 8,
        SnapshotChunkBytes = 64 * 1024,
        PreVote = true,
        CheckQuorum = true,
    };
}
