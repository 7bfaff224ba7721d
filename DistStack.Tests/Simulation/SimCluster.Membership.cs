using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

/// <summary>
/// The membership nemesis (SimSettings.MembershipChanges): among the other faults, the leader is asked to add a
/// spare node as a learner (it starts from empty storage, as a node started with --join, or a replacement for a lost
/// disk under a new id), to promote a learner, or to remove any member, the leader included. A node whose removal is
/// committed is retired (stopped for good, as an operator stops a removed process); ids are never reused.
/// </summary>
internal sealed partial class SimCluster
{
    /// <summary>Nodes whose removal a leader accepted: retired once the committed history says they are gone.</summary>
    private readonly HashSet<int> _removalsAccepted = [];
    private int _sparesUsed;

    public IEnumerable<SimNode> InService => _nodes.Where(n => n.InService);

    public long MembershipChangesAccepted { get; private set; }
    public long MembershipChangesRefused { get; private set; }
    public long NodesRetired { get; private set; }

    /// <summary>Asks <paramref name="leader"/> for a change; a spare added as a learner is started from empty storage.</summary>
    public ConfigurationChangeResult ProposeChange(int leader, ConfigurationChange change)
    {
        ConfigurationChangeResult? result = null;
        OnStep(Node(leader), TraceKind.Note, $"membership: {change.Kind} n{change.NodeId}",
            (core, _) => result = core.ProposeConfigurationChange(change));
        Trace.Add(Steps, Now, TraceKind.Note, leader, $"membership: {change.Kind} n{change.NodeId}: {result}");
        if (result is ConfigurationChangeResult.Accepted)
        {
            MembershipChangesAccepted++;
            switch (change.Kind)
            {
                case ConfigurationChangeKind.AddLearner when !Node(change.NodeId).InService:
                    Node(change.NodeId).InService = true;
                    Restart(change.NodeId);
                    break;
                case ConfigurationChangeKind.Remove:
                    _removalsAccepted.Add(change.NodeId);
                    break;
            }
        }
        else
        {
            MembershipChangesRefused++;
        }
        return result!;
    }

    /// <summary>Members whose disk was lost and that are not replaced yet (removed, then added again blank).</summary>
    private readonly HashSet<int> _disksLost = [];

    public long DisksLost { get; private set; }

    /// <summary>One membership fault, sometimes; true when it took this chaos event's turn.</summary>
    private bool MembershipChaos()
    {
        RetireRemoved();
        if (_random.Next(3) != 0 || LeaderByStatus() is not { } leader) return false;
        var configuration = Node(leader).Core!.Status.Configuration;
        if (_disksLost.Count > 0 && _random.Next(2) == 0)
        {
            ReplaceLostDisk(leader, _disksLost.First(), configuration);
            return true;
        }
        if (_random.Next(8) == 0 && LoseADisk(configuration)) return true;
        var roll = _random.Next(10);
        if (roll < 3 && configuration.HasLearners)
        {
            ProposeChange(leader, ConfigurationChange.Promote(configuration.Learners[_random.Next(configuration.Learners.Length)]));
        }
        else if (roll < 6 && _sparesUsed < Settings.SpareNodes)
        {
            var spare = Settings.Nodes + _sparesUsed + 1;
            if (ProposeChange(leader, ConfigurationChange.AddLearner(spare)) is ConfigurationChangeResult.Accepted) _sparesUsed++;
        }
        else if (_disksLost.Count == 0)
        {
            // Not while a lost disk is unreplaced: an operator does not shrink a cluster that has a member down for good
            // (with three voters, one lost, removing a healthy one leaves no quorum that counts).
            var members = configuration.Members.ToArray();
            ProposeChange(leader, ConfigurationChange.Remove(members[_random.Next(members.Length)]));
        }
        return true;
    }

    /// <summary>
    /// The disk-loss fault: a member whose storage the committed configuration records loses its disk, and comes back
    /// blank under a new storage id. Its votes and acknowledgements must not count from then on; the invariants (no
    /// committed entry lost, leader completeness) check that they did not. One member at a time, and only with at
    /// least three voters (committed and in the leader's latest configuration), so that the others still make a quorum
    /// that counts; and no member is removed meanwhile but the lost one (as an operator replaces a lost node before
    /// anything else).
    /// </summary>
    private bool LoseADisk(ClusterConfiguration latest)
    {
        var committed = _invariants.CommittedConfiguration;
        if (_disksLost.Count > 0 || committed.Voters.Length < 3 || latest.Voters.Length < 3) return false;
        // The window storage ids leave open (docs/membership.md): a node whose log does not hold the entry that
        // recorded the voters' storage cannot tell a blank node's vote from a good one. Lose a disk only once every
        // member's durable log holds that record.
        if (!committed.Members.All(id => Node(id) is var n && ConfigurationAt(n, n.Disk.Log.LastIndex) is var c &&
                                         committed.Voters.All(c.StorageIds.ContainsKey)))
            return false;
        var recorded = InService
            .Where(n => committed.IsMember(n.Id) && committed.StorageIds.TryGetValue(n.Id, out var storage) && storage == n.Disk.StorageId)
            .ToList();
        if (recorded.Count == 0) return false;
        var node = recorded[_random.Next(recorded.Count)];
        Crash(node.Id);
        WipeDisk(node.Id);
        Restart(node.Id);
        _disksLost.Add(node.Id);
        DisksLost++;
        return true;
    }

    /// <summary>
    /// The documented replacement: remove the member whose disk was lost; once it is retired, add it again as a learner
    /// with a blank disk (a new storage id), which the nemesis promotes like any learner.
    /// </summary>
    private void ReplaceLostDisk(int leader, int lost, ClusterConfiguration configuration)
    {
        if (configuration.IsMember(lost))
        {
            if (!Node(lost).InService) return; // retired already; the leader's configuration will catch up
            ProposeChange(leader, ConfigurationChange.Remove(lost));
            return;
        }
        if (Node(lost).InService || _invariants.CommittedConfiguration.IsMember(lost)) return; // removal not committed yet
        Crash(lost); // a retired node may have been restarted by a crash fault scheduled before it was retired
        WipeDisk(lost);
        if (ProposeChange(leader, ConfigurationChange.AddLearner(lost)) is ConfigurationChangeResult.Accepted) _disksLost.Remove(lost);
    }

    /// <summary>A node whose removal is in the committed history stops for good.</summary>
    private void RetireRemoved()
    {
        foreach (var id in _removalsAccepted.ToList())
        {
            if (_invariants.CommittedConfiguration.IsMember(id)) continue;
            Retire(id);
            _removalsAccepted.Remove(id);
        }
    }

    private void Retire(int id)
    {
        Crash(id);
        Node(id).InService = false;
        NodesRetired++;
        Trace.Add(Steps, Now, TraceKind.Note, id, "retired");
    }

    /// <summary>The nodes a settled cluster must bring up to date: those in service that the leader counts as members.</summary>
    private IEnumerable<SimNode> SettledMembers() =>
        LeaderByStatus() is { } leader
            ? InService.Where(n => Node(leader).Core!.Status.Configuration.IsMember(n.Id))
            : InService;

    /// <summary>
    /// Once settled: a spare whose addition was lost, or a node whose removal committed, is no member of the
    /// leader's configuration: it is retired before the reads and clients are checked on every node in service.
    /// </summary>
    private void RetireNonMembers()
    {
        if (LeaderByStatus() is not { } leader) return;
        var configuration = Node(leader).Core!.Status.Configuration;
        foreach (var node in InService.ToList())
            if (!configuration.IsMember(node.Id)) Retire(node.Id);
    }

    /// <summary>A crashed node's storage is lost: it comes back with no term, no vote, no log and no snapshot.</summary>
    public void WipeDisk(int id)
    {
        var node = Node(id);
        if (node.IsUp) throw new InvalidOperationException($"n{id} is up: crash it first");
        node.LostStorages[node.Disk.StorageId] = node.Disk.Log.Clone();
        node.Disk.HardState = HardState.Empty;
        node.Disk.Snapshot = null;
        node.Disk.Log.Wipe();
        node.Disk.StorageId = StorageIdOf(id, ++node.DiskWipes);
        node.MemLog = node.Disk.Log.Clone();
        node.MemHardState = HardState.Empty;
        Trace.Add(Steps, Now, TraceKind.Note, id, $"disk wiped: storage {node.Disk.StorageId}");
    }

    /// <summary>The configuration in force at <paramref name="index"/> of the node's durable log: what a snapshot there records.</summary>
    private ClusterConfiguration ConfigurationAt(SimNode node, long index)
    {
        var log = node.Disk.Log;
        for (var i = index; i > log.SnapshotIndex; i--)
            if (log.EntryAt(i) is { Kind: EntryKind.Configuration } entry) return ClusterConfiguration.Decode(entry.Data);
        return node.Disk.Snapshot?.Metadata.Configuration ?? Configuration;
    }
}
