namespace DistStack.Actors.Raft;

/// <summary>
/// Knobs of the core. Time is counted in ticks: the shell calls <see cref="RaftCore.Tick"/> at a fixed interval.
/// A node's values (and their defaults) come from its configuration (hocon/diststack.conf, bound by
/// RaftNodeSettings), so the core has no defaults of its own for them: whoever builds a core says every knob.
/// </summary>
public sealed record RaftOptions(int NodeId, ulong ClusterId)
{
    /// <summary>Minimum election timeout in ticks; each timeout is drawn from [ElectionTicks, 2*ElectionTicks).</summary>
    public required int ElectionTicks { get; init; }

    /// <summary>A leader sends heartbeats every HeartbeatTicks. Must be well below ElectionTicks.</summary>
    public required int HeartbeatTicks { get; init; }

    /// <summary>Most entries in one AppendEntries.</summary>
    public required int MaxEntriesPerAppend { get; init; }

    /// <summary>Most bytes of entries in one AppendEntries (a node keeps it below Akka.Remote's frame limit).</summary>
    public required int MaxBytesPerAppend { get; init; }

    /// <summary>Most AppendEntries in flight to one follower (pipelining) before waiting for acknowledgements.</summary>
    public required int MaxInflightAppends { get; init; }

    /// <summary>Bytes of snapshot data per InstallSnapshot chunk.</summary>
    public required int SnapshotChunkBytes { get; init; }

    /// <summary>
    /// Most bytes a follower buffers for one incoming snapshot. Far above any real state (a million values
    /// snapshot to tens of MiB); it only stops a broken or hostile peer from streaming chunks that never end.
    /// A transfer that passes it is dropped and asked for again from the start.
    /// </summary>
    public long MaxIncomingSnapshotBytes { get; init; } = 1L << 30;

    /// <summary>Pre-vote (§9.6): a node that cannot win does not disturb the cluster by raising terms.</summary>
    public required bool PreVote { get; init; }

    /// <summary>
    /// The founders' peer addresses ("host:port") by node id, as every founder was configured with them: recorded
    /// in the first configuration change that lacks them. Empty: no addresses are recorded (the simulator).
    /// </summary>
    public IReadOnlyDictionary<int, string> MemberAddresses { get; init; } = new Dictionary<int, string>();

    /// <summary>
    /// This node's storage id: random, chosen when its storage was created, never 0 in a node (0 in a test core: unknown).
    /// Stamped on every vote and acknowledgement; a node whose latest configuration records another storage id for it
    /// (its disk was lost) never campaigns.
    /// </summary>
    public ulong StorageId { get; init; }

    /// <summary>Check-quorum: a leader that has not heard from a majority within an election timeout steps down.</summary>
    public required bool CheckQuorum { get; init; }
}
