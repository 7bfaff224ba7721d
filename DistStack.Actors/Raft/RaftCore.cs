namespace DistStack.Actors.Raft;

/// <summary>
/// Raft (Ongaro &amp; Ousterhout, extended paper, and Ongaro's dissertation) as a pure state machine: no actors,
/// no tasks, no clock, no I/O and no randomness of its own. Inputs are <see cref="Tick"/>, <see cref="Step"/>,
/// <see cref="Propose"/>, <see cref="ReadIndex"/>, <see cref="TransferLeadership"/> and <see cref="Compact"/>;
/// outputs are collected with <see cref="GetReady"/> and carried out by the shell as <see cref="Ready"/> says,
/// then acknowledged with <see cref="Advance"/>.
/// </summary>
public sealed partial class RaftCore
{
    public RaftCore(RaftOptions options, IRandomSource random, RaftDurableState durable)
    {
        throw new NotImplementedException();
    }

    /// <summary>One unit of logical time: drives election timeouts, heartbeats and check-quorum.</summary>
    public void Tick() => throw new NotImplementedException();

    /// <summary>Feed a message from a peer. Messages of another cluster, or to another node, are dropped.</summary>
    public void Step(RaftMessage message) => throw new NotImplementedException();

    /// <summary>Append a client command on the leader. Followers refuse: the shell forwards to the leader.</summary>
    public ProposeResult Propose(byte[] command) => throw new NotImplementedException();

    /// <summary>
    /// Ask for a linearizable read index (dissertation §6.4). The answer arrives in a later Ready's ReadStates
    /// with the same <paramref name="requestId"/> (unique per node, chosen by the shell).
    /// </summary>
    public void ReadIndex(long requestId) => throw new NotImplementedException();

    /// <summary>Hand leadership to <paramref name="target"/> (dissertation §3.10). Ignored unless leader.</summary>
    public void TransferLeadership(int target) => throw new NotImplementedException();

    /// <summary>Start an election now (tests and bootstrap of a single node).</summary>
    public void Campaign() => throw new NotImplementedException();

    /// <summary>
    /// The application took a snapshot of everything applied up to <c>snapshot.Metadata.LastIncludedIndex</c>
    /// and made it durable: the core drops the log up to there and sends this snapshot to followers that need
    /// compacted entries.
    /// </summary>
    public void Compact(SnapshotData snapshot) => throw new NotImplementedException();

    public bool HasReady() => throw new NotImplementedException();

    public Ready GetReady() => throw new NotImplementedException();

    /// <summary>The shell carried out <paramref name="ready"/> (persisted, sent, applied).</summary>
    public void Advance(Ready ready) => throw new NotImplementedException();

    public RaftStatus Status => throw new NotImplementedException();
}
