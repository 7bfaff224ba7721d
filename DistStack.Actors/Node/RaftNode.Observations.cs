using System.Diagnostics;
using DistStack.Actors.Observability;
using DistStack.Actors.Raft;

namespace DistStack.Actors.Node;

// What this node shows of itself (metrics, the dashboard's timeline): RaftNode only reports, at a few places,
// to its ActorSystem's NodeObservations, which decides what is an event and what a metric. Nothing here feeds
// back into Raft.
public sealed partial class RaftNode
{
    private readonly NodeObservations _observations = NodeObservations.For(Context.System);
    private long _snapshotSaveStarted;

    /// <summary>At every tick and on every new role or leader: the status as of now.</summary>
    private void ObserveSelf()
    {
        if (_core is null || _clients is null) return;
        var durable = _persisted.HardState;
        _observations.Observe(BuildStatus(), durable.Term, durable.VotedFor == HardState.NoVote ? null : durable.VotedFor, _clients.PendingProposals);
    }

    private void ObserveJournalWrite(long startedTimestamp, int entries) =>
        _observations.JournalWritten(Stopwatch.GetElapsedTime(startedTimestamp), entries);

    private void ObserveSnapshotSaveStarted() => _snapshotSaveStarted = Stopwatch.GetTimestamp();

    private void ObserveSnapshotSaved(SnapshotSave? save)
    {
        if (save is null) return;
        _observations.SnapshotSaved(save is InstallSave, save.Durable.Snapshot.Metadata.LastIncludedIndex,
            save.Durable.Snapshot.Data.Length, Stopwatch.GetElapsedTime(_snapshotSaveStarted));
    }
}
