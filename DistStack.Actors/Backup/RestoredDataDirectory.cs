using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using DistStack.Actors.Hosting;
using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;

namespace DistStack.Actors.Backup;

/// <summary>
/// Creates one member's data directory of a NEW cluster from a backup (etcdctl snapshot restore): an identity file
/// with the new cluster's id (its members and token), and a journal whose only content is what a node that had
/// compacted its log up to the backup's index would hold: its bootstrap, term, and a snapshot at the backup's index
/// and term whose configuration is the new members, all voters. The node then starts with its usual command line
/// and recovers from that snapshot; messages from the old cluster carry the old id and are dropped.
/// </summary>
public static class RestoredDataDirectory
{
    /// <summary>
    /// Throws <see cref="RestoreRefusedException"/> when the directory is not empty (nothing is touched then) or the
    /// journal turns out not to be; anything the storage throws otherwise propagates.
    /// </summary>
    public static async Task CreateAsync(RaftNodeSettings settings, BackupHeader header, byte[] state, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(header);
        settings.Validate();
        if (!IsEmptyOrMissing(settings.DataDirectory))
            throw new RestoreRefusedException($"{settings.DataDirectory} is not empty: a restore only creates new data directories");

        var identity = NodeIdentityFile.Reconcile(settings);
        var configuration = identity.InitialConfiguration;
        var snapshot = new SnapshotData(new Raft.SnapshotMetadata(header.Index, header.Term, configuration), state);
        // The backup's term, so no entry of the snapshot is newer than the node's term; no vote in it yet.
        var hardState = new HardState(header.Term, HardState.NoVote);
        var events = new object[]
        {
            new NodeBootstrapped(identity.ClusterId, identity.NodeId, configuration),
            new HardStateRecorded(hardState.Term, hardState.VotedFor),
        };
        var durable = new DurableSnapshot(identity.ClusterId, identity.NodeId, hardState, snapshot, []);

        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING\nakka.stdout-loglevel = WARNING")
            .WithFallback(PersistencePlugins.Hocon(identity))
            .WithFallback(Serialization.SerializationConfig.Config);
        var setup = BootstrapSetup.Create().WithConfig(config).And(PersistencePlugins.Setup(identity).DataOptionsSetup);
        var system = ActorSystem.Create("diststack-restore", setup);
        try
        {
            var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            system.ActorOf(Props.Create(() => new RestoreWriter(
                Node.RaftNode.PersistenceIdOf(identity.NodeId), events, durable, written)), "restore-writer");
            await written.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        finally
        {
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(15)).ConfigureAwait(false);
        }
        NodeIdentityFile.MarkBootstrapped(identity.DataDirectory);
    }

    public static bool IsEmptyOrMissing(string directory) =>
        !Directory.Exists(directory) || !Directory.EnumerateFileSystemEntries(directory).Any();

    /// <summary>Writes the bootstrap events, then the snapshot at their sequence number, into an empty journal.</summary>
    private sealed class RestoreWriter : ReceivePersistentActor
    {
        private readonly string _persistenceId;
        private readonly TaskCompletionSource _written;
        private bool _journalHoldsData;

        public RestoreWriter(string persistenceId, IReadOnlyList<object> events, DurableSnapshot snapshot, TaskCompletionSource written)
        {
            _persistenceId = persistenceId;
            _written = written;

            Recover<RecoveryCompleted>(_ =>
            {
                if (_journalHoldsData)
                {
                    Fail(new RestoreRefusedException($"the journal of {persistenceId} already holds data; nothing was written"));
                    return;
                }
                var remaining = events.Count;
                PersistAll(events, _ =>
                {
                    if (--remaining == 0) SaveSnapshot(snapshot);
                });
            });
            Recover<SnapshotOffer>(_ => _journalHoldsData = true);
            RecoverAny(_ => _journalHoldsData = true);

            Command<SaveSnapshotSuccess>(_ =>
            {
                _written.TrySetResult();
                Context.Stop(Self);
            });
            Command<SaveSnapshotFailure>(failure => Fail(failure.Cause));
        }

        public override string PersistenceId => _persistenceId;

        protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
        {
            _written.TrySetException(cause);
            base.OnPersistFailure(cause, @event, sequenceNr);
        }

        protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
        {
            _written.TrySetException(cause);
            base.OnPersistRejected(cause, @event, sequenceNr);
        }

        protected override void OnRecoveryFailure(Exception reason, object? message = null)
        {
            _written.TrySetException(reason);
            base.OnRecoveryFailure(reason, message);
        }

        private void Fail(Exception cause)
        {
            _written.TrySetException(cause);
            Context.Stop(Self);
        }
    }
}

/// <summary>A restore that cannot be done (it would overwrite data, the input is bad, or writing failed); the message says what was written, if anything.</summary>
public sealed class RestoreRefusedException(string message) : Exception(message);
