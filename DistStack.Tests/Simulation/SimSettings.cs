using DistStack.Tests.Support;
using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

/// <summary>
/// How a simulated cluster behaves: size, virtual-time granularity, network faults and disk latency. Time is in
/// abstract units; every node ticks once per <see cref="TickInterval"/> units.
/// </summary>
internal sealed record SimSettings
{
    public int Nodes { get; init; } = 3;
    public int Seed { get; init; } = 1;
    public ulong ClusterId { get; init; } = 0xD157_57AC_0000_0001;
    public int TickInterval { get; init; } = 10;

    public int MinDelay { get; init; } = 1;
    public int MaxDelay { get; init; } = 1;
    public double LossRate { get; init; }
    public double DuplicateRate { get; init; }

    /// <summary>Chance that a message is held back far longer than usual (reordering, stale deliveries).</summary>
    public double LongDelayRate { get; init; }
    public int LongDelayMax { get; init; } = 60;

    public int MinDiskLatency { get; init; } = 1;
    public int MaxDiskLatency { get; init; } = 1;

    /// <summary>
    /// How many Readies a node may have taken before the first is durable (ReadyLoop's maxInFlight: asynchronous
    /// storage writes; 1 = one write at a time). Writes become durable in order, each after its own latency.
    /// </summary>
    public int MaxWritesInFlight { get; init; } = 1;

    /// <summary>Raft knobs shared by all nodes; NodeId and ClusterId are filled in per node.</summary>
    public RaftOptions Raft { get; init; } = CoreKnobs.For(0, 0);

    /// <summary>A deliberate bug in the simulated shell (never in CI runs): proves the invariants can fail.</summary>
    public ShellFault Fault { get; init; }

    /// <summary>How a failure tells the reader to replay this run.</summary>
    public string ReplayHint { get; init; } = "";

    /// <summary>Clients go through the production ClientRequests and ForwardedCopies (SimCluster.Clients.cs).</summary>
    public bool ClientsThroughDriver { get; init; }
}

/// <summary>Ways a shell can break the Ready contract, used only by the simulator's self-tests.</summary>
internal enum ShellFault
{
    None,

    /// <summary>Votes and append acknowledgements leave before the write they promise is durable.</summary>
    AcknowledgeBeforeDurable,

    /// <summary>The disk forgets the vote (not the term) in a crash.</summary>
    ForgetVoteOnCrash,

    /// <summary>Reads are served as soon as their ReadState arrives, without waiting to apply up to the read index.</summary>
    ServeReadsBeforeApplied,
}
