using Akka.Actor;
using Akka.Event;
using DistStack.Actors.Hosting;
using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;
using DistStack.Actors.Shell;

namespace DistStack.Actors.Node;

// Membership: carry out the changes the gateway asks for (the core decides whether each is allowed, Shell/
// MembershipChanges waits for its commit and picks learners to promote), keep the peers in step with the latest
// configuration, and, for a node started with --join, wait to be added and learn the cluster id from the leader.
public sealed partial class RaftNode
{
    private readonly MembershipChanges<IActorRef> _membership = new();

    /// <summary>Started with --join on an empty journal and not added yet: no core runs, and the cluster id is unknown.</summary>
    private bool _waitingToJoin;

    private void SetUpMembershipCommands()
    {
        Command<ChangeMembership>(c => OnChangeMembership(c, Sender, forwarded: false));
        Command<ForwardedMembershipChange>(f =>
        {
            if (_core is not null && IsPeer(f.OriginNodeId) &&
                AcceptFromPeer(nameof(ForwardedMembershipChange), f.ClusterId, f.OriginNodeId))
                OnChangeMembership(new ChangeMembership(f.Change), Sender, forwarded: true);
        });
        Command<GetMembership>(_ => Sender.Tell(BuildMembershipView()));
    }

    /// <summary>
    /// A change asked of this node: the leader proposes it; a follower that knows the leader hands it on
    /// (<see cref="ForwardedMembershipChange"/>, answered by the leader straight to <paramref name="replyTo"/>), as
    /// raftexample lets any node take <c>POST /{id}</c>. A forwarded change is never forwarded again.
    /// </summary>
    private void OnChangeMembership(ChangeMembership request, IActorRef replyTo, bool forwarded)
    {
        if (_core is null)
        {
            replyTo.Tell(new MembershipReply.NotStarted(_waitingToJoin
                ? "this node is waiting to be added to a cluster; ask a member of the cluster"
                : NotRunning().Reason, null));
            return;
        }
        var change = request.Change;
        var result = Core.ProposeConfigurationChange(change);
        var answerBy = Ticks + Math.Max(1, TicksFor(_settings.RequestTimeout) - 1);
        switch (result)
        {
            case ConfigurationChangeResult.Accepted accepted:
                _log.Info("Node {0} proposed {1} of node {2}{3} at index {4}: {5}", _settings.NodeId, change.Kind, change.NodeId,
                    change.Address is null ? "" : $" ({change.Address})", accepted.Index, Core.Configuration);
                _membership.Wait(accepted.Index, accepted.Term, replyTo, answerBy, Describe(change, unchanged: false));
                ScheduleFlush();
                break;
            case ConfigurationChangeResult.Unchanged unchanged:
                _membership.Wait(unchanged.ConfigurationIndex, Core.TermAt(unchanged.ConfigurationIndex) ?? -1, replyTo, answerBy,
                    Describe(change, unchanged: true));
                break;
            case ConfigurationChangeResult.Refused { Reason: ConfigurationRefusal.OwnTermNotCommitted }:
                replyTo.Tell(new MembershipReply.NotStarted(
                    "this leader was just elected and has not committed an entry of its term yet; retry in a moment", _settings.NodeId));
                break;
            case ConfigurationChangeResult.Refused refused:
                replyTo.Tell(new MembershipReply.Refused(refused.Reason, RefusalText(refused.Reason, change)));
                break;
            case ConfigurationChangeResult.NotLeader { LeaderHint: { } leaderId }
                when !forwarded && leaderId != _settings.NodeId && _peers.TryGetValue(leaderId, out var leaderPeer):
                leaderPeer.Tell(new ForwardedMembershipChange(_settings.ClusterId, _settings.NodeId, change), replyTo);
                break;
            case ConfigurationChangeResult.NotLeader notLeader:
                replyTo.Tell(new MembershipReply.NotStarted(notLeader.LeaderHint is { } leader
                    ? $"this node is not the leader; node {leader} is: send the change to it"
                    : "no leader is known; retry in a moment", notLeader.LeaderHint));
                break;
            case ConfigurationChangeResult.TransferInProgress transfer:
                replyTo.Tell(new MembershipReply.NotStarted(
                    $"this leader is handing leadership over to node {transfer.Target}; retry there", transfer.Target));
                break;
        }
    }

    private static string Describe(ConfigurationChange change, bool unchanged) => (change.Kind, unchanged) switch
    {
        (ConfigurationChangeKind.AddLearner, false) => $"node {change.NodeId} added as a learner",
        (ConfigurationChangeKind.AddLearner, true) => $"node {change.NodeId} already is a learner",
        (ConfigurationChangeKind.Promote, false) => $"node {change.NodeId} promoted to voter",
        (ConfigurationChangeKind.Promote, true) => $"node {change.NodeId} already is a voter",
        (ConfigurationChangeKind.Remove, false) => $"node {change.NodeId} removed",
        _ => $"node {change.NodeId} is not a member",
    };

    private string RefusalText(ConfigurationRefusal reason, ConfigurationChange change) => reason switch
    {
        ConfigurationRefusal.ChangeInProgress => "another membership change is not committed yet; retry once it is",
        ConfigurationRefusal.NotAMember => $"node {change.NodeId} is not a learner of this cluster",
        ConfigurationRefusal.AlreadyAVoter => $"node {change.NodeId} already is a voter",
        ConfigurationRefusal.LearnerNotCaughtUp =>
            $"learner {change.NodeId} has not caught up with the leader's log yet (or the leader does not hear it); retry later",
        ConfigurationRefusal.QuorumAtRisk =>
            $"refused by the strict reconfiguration check: after this change too few voters would have been heard from " +
            "lately to form a quorum (is a voter down?)",
        ConfigurationRefusal.LastVoter => $"node {change.NodeId} is the only voter; a cluster needs one",
        ConfigurationRefusal.AddressInUse => change.Address is null
            ? $"node {change.NodeId} is a member at another address"
            : $"address {change.Address} is another member's, or node {change.NodeId} is a member at another address",
        ConfigurationRefusal.InvalidNodeId => "node ids are positive and addresses are host:port",
        _ => reason.ToString(),
    };

    /// <summary>
    /// Every tick: answer the changes whose entry committed (or that timed out), promote a caught-up learner that was
    /// added to be promoted, and keep the peers in step with the configuration.
    /// </summary>
    private void OnMembershipTick()
    {
        if (_core is null) return;
        SyncPeersWithConfiguration();
        NoteOwnMembership();
        foreach (var (client, reply) in _membership.Due(Core.CommittedTermAt, Core.Configuration, Ticks))
            client.Tell(reply);
        if (!IsLeader) return;
        if (MembershipChanges<IActorRef>.LearnerToPromote(Core.Configuration, Core.IsCaughtUp) is not { } learner) return;
        if (Core.ProposeConfigurationChange(ConfigurationChange.Promote(learner)) is ConfigurationChangeResult.Accepted accepted)
        {
            _log.Info("Node {0} promotes learner {1}, caught up, to voter (index {2}): {3}",
                _settings.NodeId, learner, accepted.Index, Core.Configuration);
            ScheduleFlush();
        }
    }

    /// <summary>This node in the configuration last noted: logged when it changes (a removed node says so).</summary>
    private ClusterConfiguration? _ownMembershipNoted;

    private void NoteOwnMembership()
    {
        var configuration = Core.Configuration;
        if (ReferenceEquals(configuration, _ownMembershipNoted)) return;
        var before = _ownMembershipNoted;
        _ownMembershipNoted = configuration;
        bool Was(Func<ClusterConfiguration, bool> test) => before is not null && test(before);
        if (configuration.Contains(_settings.NodeId) && !Was(c => c.Contains(_settings.NodeId)))
            _log.Info("Node {0} is a voter ({1})", _settings.NodeId, configuration);
        else if (configuration.IsLearner(_settings.NodeId) && !Was(c => c.IsLearner(_settings.NodeId)))
            _log.Info("Node {0} is a learner: it receives the log and is not counted until promoted ({1})", _settings.NodeId, configuration);
        else if (!configuration.IsMember(_settings.NodeId) && configuration.Voters.Length > 0 && (before is null || Was(c => c.IsMember(_settings.NodeId))))
            _log.Warning("Node {0} is removed from the cluster by its latest configuration ({1}): once that is committed it takes " +
                         "no part any more and never campaigns (a leader first hands over); stop it, its data directory may then be " +
                         "deleted. Its status says membership \"removed\"", _settings.NodeId, configuration);
        NoteOwnStorage(before, configuration);
    }

    /// <summary>Logs when the cluster records this node's storage, or another storage for it (its data was lost).</summary>
    private void NoteOwnStorage(ClusterConfiguration? before, ClusterConfiguration configuration)
    {
        var self = _settings.NodeId;
        if (!configuration.StorageIds.TryGetValue(self, out var recorded) ||
            (before is not null && before.StorageIds.TryGetValue(self, out var earlier) && earlier == recorded))
            return;
        if (recorded == _settings.StorageId)
            _log.Info("Node {0}: the cluster records this node's storage {1}", self, NodeIdentityFile.FormatStorageId(recorded));
        else
            _log.Error("Node {0}: the cluster records storage {1} for this node, but this node's storage is {2}: its data " +
                       "directory was lost or replaced since it joined. It will not campaign, and its votes and acknowledgements " +
                       "do not count: with a blank log they could lose committed writes. Replace it: remove it (DELETE /{0} on " +
                       "any member), empty its data directory, start it with --join, and add it again (POST /{0} with its Raft URL)",
                self, NodeIdentityFile.FormatStorageId(recorded), NodeIdentityFile.FormatStorageId(_settings.StorageId));
    }

    private MembershipView BuildMembershipView()
    {
        var configuration = _core?.Configuration ?? ClusterConfiguration.Of();
        var caughtUp = _core is null
            ? new HashSet<int>()
            : configuration.Learners.Where(Core.IsCaughtUp).ToHashSet();
        var addresses = MembersOf(configuration).ToDictionary(id => id, id => EndpointOf(id, configuration)?.ToString() ?? "");
        return new MembershipView(_settings.NodeId, _clients?.LeaderId, configuration, addresses, caughtUp, IsLeader);
    }

    /// <summary>
    /// The members of <paramref name="configuration"/>; before this node has any configuration (a joiner not added
    /// yet), the members it was configured with.
    /// </summary>
    private IEnumerable<int> MembersOf(ClusterConfiguration configuration) =>
        configuration.Voters.IsEmpty && !configuration.HasLearners
            ? _settings.Members.Select(m => m.NodeId)
            : configuration.Members;

    /// <summary>Where member <paramref name="id"/> is: the address the configuration records, else the configured one.</summary>
    private PeerEndpoint? EndpointOf(int id, ClusterConfiguration configuration)
    {
        if (configuration.AddressOf(id) is { } recorded)
        {
            try { return PeerEndpoint.Parse(id, recorded); }
            catch (FormatException) { return null; }
        }
        return _settings.Members.FirstOrDefault(m => m.NodeId == id);
    }

    /// <summary>
    /// With --join: nothing is bootstrapped. The node waits, with no core, for the leader of the cluster that added
    /// it to send it the log, and takes that cluster's id from it: only from a member of its configured list, at
    /// that member's address, and only leader traffic (appends, heartbeats, snapshot chunks) addressed to this
    /// node's id. It never campaigns: once added it is a learner, and a voter only when the leader promotes it.
    /// </summary>
    private void WaitToBeAdded()
    {
        _waitingToJoin = true;
        _log.Info("Node {0} started with --join: waiting to be added to the cluster of [{1}] (POST /{0} with body " +
                  "http://{2} to the leader). It takes no part until the leader sends it the log",
            _settings.NodeId, string.Join(", ", _settings.Members), _settings.Self);
    }

    private void OnMessageWhileWaitingToJoin(RaftMessage message)
    {
        if (message is not (AppendEntries or Heartbeat or Raft.InstallSnapshot) || message.To != _settings.NodeId ||
            message.From == _settings.NodeId || _settings.Members.FirstOrDefault(m => m.NodeId == message.From) is not { } member)
            return;
        var protocol = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.Protocol;
        var expected = new Address(protocol, Context.System.Name, member.Host, member.Port);
        if (_peerOverrides is null && !Sender.Path.Address.Equals(expected))
        {
            LogRefusal(message.GetType().Name, $"it claims to be member {message.From} ({expected}) but was sent from {Sender.Path.Address}");
            return;
        }

        _waitingToJoin = false;
        var clusterId = message.ClusterId;
        _log.Info("Node {0} was added to cluster {1}: leader {2} (term {3}) sends it the log; catching up",
            _settings.NodeId, ClusterIdentity.Format(clusterId), message.From, message.Term);
        var joined = new NodeBootstrapped(clusterId, _settings.NodeId, new ClusterConfiguration([]));
        _journalWrites++;
        Persist(joined, e =>
        {
            _eventsWritten++;
            _persisted.Apply(e);
            NodeIdentityFile.MarkJoined(_settings.DataDirectory, clusterId);
            _settings = _settings with { JoinedClusterId = clusterId };
            StartCore();
        });
    }
}
