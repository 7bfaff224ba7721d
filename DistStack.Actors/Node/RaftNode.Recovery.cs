using Akka.Event;
using Akka.Actor;
using Akka.Persistence;
using DistStack.Actors.Hosting;
using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;

namespace DistStack.Actors.Node;

// Recovery: rebuild what the journal holds (PersistedRaftState) from the latest DurableSnapshot plus the events
// after it, check that it is this node's and this cluster's, then start the core from it. An empty journal is
// bootstrapped first: NodeBootstrapped and RaftBootstrap.Initial's entries are persisted before the node takes
// part, so a founder never votes or acknowledges anything it could forget.
public sealed partial class RaftNode
{
    /// <summary>Set when the journal belongs to another node or cluster: the node then refuses all work.</summary>
    private string? _refusal;

    /// <summary>The snapshot the registry was given while the journal replayed (so StartCore does not give it again).</summary>
    private SnapshotData? _snapshotRestoredDuringRecovery;

    private void SetUpRecovery()
    {
        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is DurableSnapshot snapshot)
            {
                _persisted.Restore(snapshot);
                // The registry decodes the stacks while this actor replays the journal after the snapshot: with a
                // million values both take seconds, and a restart waits for the longer, not the sum. Nothing replayed
                // can change the snapshot (it holds committed entries only). Not for a snapshot of another node or
                // cluster (the identity the snapshot just set): recovery refuses that one, by the same check.
                if (IdentityMismatch() is null)
                {
                    _registry.Tell(new RestoreSnapshot(snapshot.Snapshot));
                    _snapshotRestoredDuringRecovery = snapshot.Snapshot;
                }
            }
            else _log.Warning("Ignored a snapshot of unexpected type {0}", offer.Snapshot?.GetType().Name);
        });
        Recover<NodeBootstrapped>(e => _persisted.Apply(e));
        Recover<HardStateRecorded>(e => _persisted.ApplyRecovered(e));
        Recover<LogTruncated>(e => _persisted.ApplyRecovered(e));
        Recover<EntryAppended>(e => _persisted.ApplyRecovered(e));
        Recover<EntriesAppended>(e => _persisted.ApplyRecovered(e));
        Recover<RecoveryCompleted>(_ => OnRecovered());
    }

    private void OnRecovered()
    {
        if (_persisted.IsEmpty)
        {
            if (NodeIdentityFile.ReadBootstrapped(_settings.DataDirectory) == true)
            {
                Refuse("its identity file says it bootstrapped, but its journal is empty: the journal (journal.db, " +
                       "snapshots.db) was lost or replaced. Starting as a blank voter would forget its term, vote and " +
                       "acknowledged entries, so a committed write could be lost or two leaders elected in one term. " +
                       "Restore the whole data directory from a backup; or, while the other members still form a " +
                       "majority, empty the data directory completely (identity.json too) to start this node afresh");
                return;
            }
            if (_settings.Join)
            {
                WaitToBeAdded();
                return;
            }
            Bootstrap();
            return;
        }

        var mismatch = IdentityMismatch();
        if (mismatch is not null)
        {
            Refuse(mismatch);
            return;
        }

        // The journal holds this node's state: an identity file from before the flag (or from a crash just after
        // the bootstrap write) now says so.
        NodeIdentityFile.MarkBootstrapped(_settings.DataDirectory);

        if (_persisted.DroppedAfterGap is { } dropped)
            _log.Warning("Node {0}: the journal holds {1} entries from index {2} on that do not follow the log before them: " +
                         "an earlier write failed and later ones reached the disk. They were never acknowledged; dropped",
                _settings.NodeId, dropped.Count, dropped.FirstIndex);
        _log.Info("Node {0} recovered: term {1}, vote {2}, snapshot at {3}, log up to {4}",
            _settings.NodeId, _persisted.HardState.Term, _persisted.HardState.VotedFor,
            _persisted.SnapshotIndex, _persisted.LastIndex);
        StartCore();
    }

    private void Bootstrap()
    {
        var configuration = _settings.InitialConfiguration;
        var initial = RaftBootstrap.Initial(configuration);
        var events = new List<object> { new NodeBootstrapped(_settings.ClusterId, _settings.NodeId, configuration) };
        if (initial.HardState != HardState.Empty)
            events.Add(new HardStateRecorded(initial.HardState.Term, initial.HardState.VotedFor));
        if (initial.Entries.Count > 0) events.Add(new EntriesAppended(initial.Entries));

        _log.Info("Bootstrapping node {0} of cluster {1} with members [{2}]",
            _settings.NodeId, ClusterIdentity.Format(_settings.ClusterId), string.Join(", ", _settings.Members));
        var remaining = events.Count;
        _journalWrites++;
        PersistAll(events, e =>
        {
            _eventsWritten++;
            _persisted.Apply(e);
            if (--remaining > 0) return;
            // Only now, with the bootstrap durable: a crash before this line leaves an unmarked identity, and the
            // next start bootstraps again instead of refusing.
            NodeIdentityFile.MarkBootstrapped(_settings.DataDirectory);
            StartCore();
        });
    }

    private string? IdentityMismatch()
    {
        var identity = _persisted.Identity;
        if (identity is null)
            return "the journal holds Raft state but no node identity; refusing to guess whose data it is";
        if (identity.ClusterId != _settings.ClusterId || identity.NodeId != _settings.NodeId)
            return $"the journal belongs to node {identity.NodeId} of cluster {ClusterIdentity.Format(identity.ClusterId)}, " +
                   $"but this is node {_settings.NodeId} of cluster {ClusterIdentity.Format(_settings.ClusterId)}";
        return null;
    }

    /// <summary>
    /// Refuses all work, and tells the process (<see cref="NodeRefusedToStart"/> on the event stream): a host exits
    /// with a non-zero code instead of running a node that can never serve.
    /// </summary>
    private void Refuse(string reason)
    {
        _refusal = $"Node {_settings.NodeId} refuses to start: {reason}.";
        _log.Error(_refusal);
        Context.System.EventStream.Publish(new NodeRefusedToStart(_settings.NodeId, _refusal));
        Become(() =>
        {
            Command<ExecuteCommand>(_ => Sender.Tell(new NotStarted(_refusal)));
            Command<ForwardedCommand>(_ => Sender.Tell(new NotStarted(_refusal)));
            Command<ForwardedCommands>(batch => RefuseForwardedCommands(batch, _refusal));
            Command<ExecuteQuery>(_ => Sender.Tell(new NotStarted(_refusal)));
            Command<HandOverLeadership>(_ => Sender.Tell(new LeadershipHandedOver(false, null)));
            Command<GetNodeStatus>(_ => Sender.Tell(BuildStatus()));
            Command<ChangeMembership>(_ => Sender.Tell(new MembershipReply.NotStarted(_refusal, null)));
            Command<GetMembership>(_ => Sender.Tell(BuildMembershipView()));
            CommandAny(_ => { });
        });
    }

    private void StartCore()
    {
        _core = new RaftCore(_settings.ToRaftOptions(), new SeededRandomSource(Random.Shared.Next()), _persisted.ToDurableState());
        _readyLoop = new Shell.ReadyLoop(_core, _settings.MaxWritesInFlight);
        _writes = new JournalWrites(_persisted);
        _clients = StartClientRequests(_core);
        if (_persisted.Snapshot is { } snapshot && !ReferenceEquals(snapshot, _snapshotRestoredDuringRecovery))
            _registry.Tell(new RestoreSnapshot(snapshot));
        _peers = ResolvePeers();
        _links = new Shell.PeerLinkRepair(_settings.ElectionTicks, _settings.HeartbeatTicks);
        Timers.StartPeriodicTimer(TickTimerKey, RaftTick.Instance, _settings.TickInterval);
        ScheduleFlush();
    }

    /// <summary>The status code when nothing is running yet (recovering) or the node refused to start.</summary>
    private NotStarted NotRunning() => new(_refusal ?? "node starting (recovering its journal)");
}
