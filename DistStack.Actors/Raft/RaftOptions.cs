namespace DistStack.Actors.Raft;

/// <summary>
/// Knobs of the core. Time is counted in ticks: the shell calls <see cref="RaftCore.Tick"/> at a fixed interval.
/// </summary>
public sealed record RaftOptions(int NodeId, ulong ClusterId)
{
    /// <summary>Minimum election timeout in ticks; each timeout is drawn from [ElectionTicks, 2*ElectionTicks).</summary>
    public int ElectionTicks { get; init; } = 10;

    /// <summary>A leader sends heartbeats every HeartbeatTicks. Must be well below ElectionTicks.</summary>
    public int HeartbeatTicks { get; init; } = 1;

    /// <summary>Most entries in one AppendEntries.</summary>
    public int MaxEntriesPerAppend { get; init; } = 512;

    /// <summary>Most bytes of entries in one AppendEntries; Akka.Remote's default frame limit is 128,000 bytes.</summary>
    public int MaxBytesPerAppend { get; init; } = 64 * 1024;

    /// <summary>Most AppendEntries in flight to one follower (pipelining) before waiting for acknowledgements.</summary>
    public int MaxInflightAppends { get; init; } = 8;

    /// <summary>Bytes of snapshot data per InstallSnapshot chunk.</summary>
    public int SnapshotChunkBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Most bytes a follower buffers for one incoming snapshot. Far above any real state (a million values
    /// snapshot to tens of MiB); it only stops a broken or hostile peer from streaming chunks that never end.
    /// A transfer that passes it is dropped and asked for again from the start.
    /// </summary>
    public long MaxIncomingSnapshotBytes { get; init; } = 1L << 30;

    /// <summary>Pre-vote (§9.6): a node that cannot win does not disturb the cluster by raising terms.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>Check-quorum: a leader that has not heard from a majority within an election timeout steps down.</summary>
    public bool CheckQuorum { get; init; } = true;
}
