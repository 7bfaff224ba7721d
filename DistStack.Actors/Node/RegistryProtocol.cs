using Akka.Actor;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Node;

// Messages between a RaftNode and its StackRegistry child. Local only: they never cross the wire, so they are
// not bound to the serializer (and may carry IActorRefs and live references).

/// <summary>
/// RaftNode → registry: apply these committed entries in order. <paramref name="Waiters"/> maps an index to the
/// client that proposed exactly that entry (same index and term) on this node; the registry answers it.
/// </summary>
public sealed record ApplyCommitted(IReadOnlyList<LogEntry> Entries, IReadOnlyDictionary<long, IActorRef> Waiters);

/// <summary>RaftNode → registry: replace the whole state with this snapshot (recovery or installed from the leader).</summary>
public sealed record RestoreSnapshot(SnapshotData Snapshot);

/// <summary>
/// RaftNode → registry: answer <paramref name="Query"/> to <paramref name="ReplyTo"/> once applied up to
/// <paramref name="ReadIndex"/>, or NotStarted once <paramref name="Within"/> has passed (a node that stopped
/// applying must not leave a read waiting until the client gives up and reports an unknown outcome).
/// </summary>
public sealed record ServeRead(long ReadIndex, StackQuery Query, IActorRef ReplyTo, TimeSpan Within);

/// <summary>RaftNode → registry: write snapshots compressed (every member reads them) or not (some member may not yet).</summary>
public sealed record CompressSnapshots(bool Compress);

/// <summary>RaftNode → registry: the snapshot of <paramref name="Index"/> was saved (or abandoned); the next may be taken.</summary>
public sealed record SnapshotCompleted(long Index, bool Saved);

/// <summary>Registry → RaftNode after each batch: for status (applied index, digest) and snapshot bookkeeping.</summary>
public sealed record RegistryApplied(long AppliedIndex, ulong Digest);

/// <summary>Registry → RaftNode: the state as of <paramref name="AppliedIndex"/>, serialized off the actor thread.</summary>
public sealed record RegistrySnapshotTaken(long AppliedIndex, byte[] Data);

/// <summary>
/// Registry → the asker of a <see cref="CaptureState"/> read: the whole state as of its applied index (at or after
/// the read's ReadIndex), the term of that entry and the configuration in force there (null only if neither a
/// configuration entry nor a snapshot was seen, which a bootstrapped log rules out). The state is immutable, so
/// this is the live reference: encoding it is the asker's work, off the registry's thread.
/// </summary>
public sealed record StateCaptured(StackState State, long Term, ClusterConfiguration? Configuration);
