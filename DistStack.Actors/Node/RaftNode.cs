using Akka.Actor;
using Akka.Event;
using Akka.Pattern;
using Akka.Persistence;
using DistStack.Actors.Hosting;
using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Node;

/// <summary>
/// One per process, at /user/raft-node: runs this node's <see cref="RaftCore"/> over Akka.Remote and makes its
/// state durable in the Akka.Persistence journal. The core decides; this actor only carries out the effects in
/// the order Raft requires (see RaftNode.Effects.cs). Partial files by concern: Recovery, Effects (the Ready
/// loop), Clients, Snapshots, Status, Peers.
/// </summary>
public sealed partial class RaftNode : ReceivePersistentActor, IWithTimers
{
    /// <summary>The supervisor's name, at akka.tcp://diststack@host:port/user/raft-node (peers send to its child, <see cref="RunningName"/>).</summary>
    public const string ActorName = "raft-node";

    /// <summary>
    /// The running RaftNode under its supervisor (<see cref="SupervisedProps"/>): /user/raft-node/node. Peers send to
    /// it directly (RaftNode.Peers.cs), sparing every peer message the supervisor's hop.
    /// </summary>
    public const string RunningName = "node";

    private const string TickTimerKey = "raft-tick";

    /// <summary>Replaced once, when a node started with --join learns its cluster's id (RaftNode.Membership.cs).</summary>
    private RaftNodeSettings _settings;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PersistedRaftState _persisted = new();
    private readonly IReadOnlyDictionary<int, IActorRef>? _peerOverrides;
    private RaftCore? _core;
    private Shell.ReadyLoop? _readyLoop;
    private IActorRef _registry = ActorRefs.Nobody;

    public RaftNode(RaftNodeSettings settings, IReadOnlyDictionary<int, IActorRef>? peerOverrides = null)
    {
        _settings = settings;
        _peerOverrides = peerOverrides;
        if (!string.IsNullOrEmpty(settings.JournalPluginId)) JournalPluginId = settings.JournalPluginId;
        if (!string.IsNullOrEmpty(settings.SnapshotPluginId)) SnapshotPluginId = settings.SnapshotPluginId;

        SetUpRecovery();
        SetUpCommands();
    }

    public override string PersistenceId => PersistenceIdOf(_settings.NodeId);

    /// <summary>Node <paramref name="nodeId"/>'s journal and snapshot key (a restore writes under it too).</summary>
    public static string PersistenceIdOf(int nodeId) => $"raft-node-{nodeId}";

    public ITimerScheduler Timers { get; set; } = null!;

    private RaftCore Core => _core ?? throw new InvalidOperationException("The Raft core is not running yet.");

    /// <summary>The bare persistent actor. Production code starts it supervised (<see cref="SupervisedProps"/>, Hosting.DistStackNode.Start).</summary>
    public static Props Props(RaftNodeSettings settings) =>
        Akka.Actor.Props.Create(() => new RaftNode(settings, null));

    /// <summary>Tests: peers are these refs (e.g. probes) instead of remote selections.</summary>
    internal static Props Props(RaftNodeSettings settings, IReadOnlyDictionary<int, IActorRef> peers) =>
        Akka.Actor.Props.Create(() => new RaftNode(settings, peers));

    /// <summary>
    /// RaftNode under a backoff supervisor. A failed journal write, or a state machine that throws, stops the
    /// persistent actor (after it answered every waiting client); the supervisor starts it again after 0.5–10 s with
    /// jitter, and it recovers from the journal. The supervisor forwards every message (keeping the sender) to the
    /// running RaftNode; while none runs it answers at once with <see cref="WhileRestarting"/> (HTTP 503: nothing
    /// was started), instead of letting requests fall into dead letters and time out as "outcome unknown".
    /// </summary>
    public static Props SupervisedProps(RaftNodeSettings settings) =>
        BackoffSupervisor.Props(
            Backoff.OnStop(
                    Props(settings),
                    childName: RunningName,
                    minBackoff: TimeSpan.FromMilliseconds(500),
                    maxBackoff: TimeSpan.FromSeconds(10),
                    randomFactor: 0.2,
                    maxNrOfRetries: -1)
                .WithSupervisorStrategy(new OneForOneStrategy(_ => Directive.Stop))
                .WithReplyWhileStopped(WhileRestarting));

    /// <summary>The supervisor's answer to anything sent while RaftNode is being restarted.</summary>
    public static readonly NotStarted WhileRestarting = new("this node's Raft actor is restarting; nothing was started, retry (any node)");

    /// <summary>
    /// The state machine must never throw; if it does, its state can no longer be trusted to match the log, and a node
    /// that went on heartbeating while it does not apply would look healthy while answering nothing. Fail this actor
    /// with it: the supervisor stops and restarts RaftNode, which rebuilds the registry from its durable state.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(e =>
    {
        _log.Error(e, "Node {0}: a child of the Raft actor (the stack state machine) failed; restarting this node's Raft actor from its durable state", _settings.NodeId);
        return Directive.Escalate;
    });

    protected override void PreStart()
    {
        _registry = Context.ActorOf(
            StackRegistry.Props(_settings.StateMachine, SnapshotSchedule.ForMember(
                _settings.SnapshotEveryEntries, _settings.SnapshotLogGrowthRatio, _settings.NodeId, _settings.Members.Count)), "stacks");
        base.PreStart();
    }

    private void SetUpCommands()
    {
        Command<RaftMessage>(OnPeerMessage);
        Command<PeerSilenceNotice>(OnPeerSilenceNotice);
        Command<RaftTick>(_ => OnTick());
        Command<FlushReady>(_ =>
        {
            _flushScheduled = false;
            SendForwardedCopies();
            ProcessReady();
        });
        Command<LeaderKnown>(_ =>
        {
            _clients?.DispatchWaiting();
            ScheduleFlush();
        });
        Command<ExecuteCommand>(c => OnCommandIfEveryMemberReadsIt(c.Command, Sender, forwarded: false));
        Command<ForwardedCommand>(c =>
        {
            if (AcceptFromPeer(nameof(ForwardedCommand), _settings.ClusterId, c.OriginNodeId)) OnCommandIfEveryMemberReadsIt(c.Command, Sender, forwarded: true);
        });
        Command<CommandFormatsSupported>(OnCommandFormatsSupported);
        Command<ExecuteQuery>(q => OnQuery(q.Query, Sender));
        Command<GetNodeStatus>(_ => Sender.Tell(BuildStatus()));
        Command<HandOverLeadership>(_ => OnHandOver(Sender));
        Command<GetJournalStats>(_ => Sender.Tell(new JournalStats(_journalWrites, _eventsWritten, _snapshotsSaved)));
        Command<RegistryApplied>(applied => _applied = applied);
        Command<RegistrySnapshotTaken>(OnRegistrySnapshot);
        Command<SaveSnapshotSuccess>(OnSnapshotSaved);
        Command<SaveSnapshotFailure>(OnSnapshotFailed);
        Command<DeleteMessagesSuccess>(d => _log.Debug("Journal compacted up to sequence number {0}", d.ToSequenceNr));
        Command<DeleteMessagesFailure>(d => _log.Warning("Deleting journal events up to {0} failed: {1}", d.ToSequenceNr, d.Cause.Message));
        Command<Terminated>(t => _forwardedWrites.Remove(t.ActorRef));
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(d => _log.Warning("Deleting old snapshots failed: {0}", d.Cause.Message));
        SetUpMembershipCommands();
        SetUpForwardedWriteCommands();
    }

    /// <summary>Feed a peer's message to the core. Messages for another node or from an unknown peer are dropped.</summary>
    private void OnPeerMessage(RaftMessage message)
    {
        if (_core is null)
        {
            if (_waitingToJoin) OnMessageWhileWaitingToJoin(message);
            return;
        }
        if (message.To != _settings.NodeId || !IsPeer(message.From))
        {
            _log.Debug("Dropped {0} from {1} to {2}: not for this node or from an unknown peer",
                message.GetType().Name, message.From, message.To);
            return;
        }
        if (!AcceptFromPeer(message.GetType().Name, message.ClusterId, message.From)) return;
        NotePeerMessage(message);
        _observations.Metrics.PeerMessageReceived(message);
        Core.Step(message);
        ScheduleFlush();
    }

    private void OnTick()
    {
        if (_core is null) return;
        Core.Tick();
        WatchSilentPeers();
        AdvertiseCommandFormats();
        _clients!.Tick();
        TickForwardedWrites();
        OnMembershipTick();
        ObserveSelf();
        ScheduleFlush();
    }

    /// <summary>
    /// Raft's clock for this actor: deadlines are counted in ticks, like the core's timeouts. One clock, kept by
    /// ClientRequests (which counts a tick at the end of OnTick); read only while the core runs.
    /// </summary>
    private long Ticks => _clients!.Now;

    private long TicksFor(TimeSpan span) =>
        Math.Max(1, (long)Math.Ceiling(span.TotalMilliseconds / _settings.TickInterval.TotalMilliseconds));
}
