namespace DistStack.Actors.Node;

// RaftNode's messages to itself and test-only probes. Local only, never on the wire.

/// <summary>The periodic timer: one Raft tick.</summary>
internal sealed record RaftTick
{
    public static readonly RaftTick Instance = new();
}

/// <summary>
/// Sent to self after inputs reach the core, so that every input already in the mailbox is fed in before the
/// next Ready is taken: one Ready (one atomic journal write) then carries all of them (group commit).
/// </summary>
internal sealed record FlushReady
{
    public static readonly FlushReady Instance = new();
}

/// <summary>A leader became known: retry the requests that were waiting for one.</summary>
internal sealed record LeaderKnown
{
    public static readonly LeaderKnown Instance = new();
}

/// <summary>Test and diagnostics probe. Reply: <see cref="JournalStats"/>.</summary>
public sealed record GetJournalStats
{
    public static readonly GetJournalStats Instance = new();
}

/// <summary>Journal writes (one per Ready that writes, and per snapshot save) and events written since this incarnation started.</summary>
public sealed record JournalStats(long Writes, long Events, long SnapshotsSaved);

/// <summary>
/// Published on the ActorSystem's event stream (never sent over the wire) when RaftNode refuses to start: its data
/// belongs to another node or cluster, or its identity says it bootstrapped while its journal is empty. A host
/// exits with a non-zero code on it.
/// </summary>
public sealed record NodeRefusedToStart(int NodeId, string Reason);
