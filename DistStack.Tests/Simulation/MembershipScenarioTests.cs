using DistStack.Tests.Support;
using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

/// <summary>Scripted membership changes on the simulated cluster: grow, shrink including the leader, replace a lost node.</summary>
public sealed class MembershipScenarioTests
{
    private const string Name = nameof(MembershipScenarioTests);

    private static SimCluster Cluster(int founders, int spares) =>
        new(new SimSettings
        {
            Nodes = founders,
            SpareNodes = spares,
            Seed = 11,
            Raft = CoreKnobs.For(0, 0),
            ReplayHint = $"dotnet test --filter \"FullyQualifiedName~Simulation.{Name}\" (scripted, seed 11)",
        });

    /// <summary>Proposes on the leader (retrying while it must first commit its term or finish a change) and waits until committed.</summary>
    private static void Change(SimCluster cluster, ConfigurationChange change, Func<bool>? whileWaiting = null)
    {
        for (var round = 0; round < 300; round++)
        {
            var leader = cluster.Leader() ?? cluster.ElectLeader();
            if (cluster.ProposeChange(leader, change) is ConfigurationChangeResult.Accepted or ConfigurationChangeResult.Unchanged)
            {
                for (var wait = 0; wait < 300; wait++)
                {
                    var now = cluster.Leader() is { } current ? cluster.Status(current) : null;
                    if (now is not null && ChangeHolds(now.Configuration, change) && cluster.Invariants.CommittedConfiguration.Equals(now.Configuration))
                        return;
                    whileWaiting?.Invoke();
                    cluster.Tick();
                }
                throw cluster.Fail($"{change} was accepted but never committed");
            }
            whileWaiting?.Invoke();
            cluster.Tick();
        }
        throw cluster.Fail($"{change} was never accepted");
    }

    private static bool ChangeHolds(ClusterConfiguration configuration, ConfigurationChange change) => change.Kind switch
    {
        ConfigurationChangeKind.AddLearner => configuration.IsLearner(change.NodeId),
        ConfigurationChangeKind.Promote => configuration.Contains(change.NodeId),
        _ => !configuration.IsMember(change.NodeId),
    };

    [Fact]
    public void Grows_from_three_to_five_under_load_and_every_new_voter_holds_every_command()
    {
        var cluster = Cluster(3, 2);
        cluster.ElectLeader();
        var commands = new List<long>();
        bool Load()
        {
            for (var i = 0; i < 5; i++)
                if (cluster.Leader() is { } leader && cluster.Propose(leader) is (var id, ProposeResult.Accepted)) commands.Add(id);
            return true;
        }

        foreach (var joiner in new[] { 4, 5 })
        {
            Change(cluster, ConfigurationChange.AddLearner(joiner), () => Load());
            Change(cluster, ConfigurationChange.Promote(joiner), () => Load());
        }
        var last = cluster.ProposeOnLeader();
        cluster.WaitApplied(last);

        Assert.Equal([1, 2, 3, 4, 5], cluster.Invariants.CommittedConfiguration.Voters.ToArray());
        Assert.False(cluster.Invariants.CommittedConfiguration.HasLearners);
        Assert.True(commands.Count > 10, $"only {commands.Count} commands under load");
        foreach (var id in Enumerable.Range(1, 5))
        {
            Assert.Equal(cluster.Applied(1), cluster.Applied(id));
            Assert.Equal(Membership.Voter, cluster.Status(id).Membership);
        }
        Assert.Superset(commands.ToHashSet(), cluster.Applied(5).ToHashSet());
    }

    [Fact]
    public void Shrinks_from_five_to_three_removing_the_leader_first()
    {
        var cluster = Cluster(5, 0);
        var first = cluster.ElectLeader();
        var before = cluster.ProposeOnLeader();
        cluster.WaitApplied(before);

        Change(cluster, ConfigurationChange.Remove(first));
        var second = cluster.ElectLeader();
        Assert.NotEqual(first, second);
        Assert.Equal(Membership.NotAMember, cluster.Status(first).Membership);
        Assert.Equal(RaftRole.Follower, cluster.Status(first).Role);

        var another = cluster.Others(first, second).First();
        Change(cluster, ConfigurationChange.Remove(another));
        var after = cluster.ProposeOnLeader();
        var remaining = cluster.Others(first, another).ToArray();
        cluster.WaitApplied(after, on: remaining);

        Assert.Equal(3, cluster.Invariants.CommittedConfiguration.Voters.Length);
        foreach (var id in remaining) Assert.Contains(before, cluster.Applied(id));
        // The removed leader stays quiet: it never campaigns again.
        var term = cluster.Status(cluster.ElectLeader()).Term;
        cluster.Tick(50);
        Assert.Equal(term, cluster.Status(cluster.ElectLeader()).Term);
    }

    [Fact]
    public void A_node_whose_disk_is_lost_is_replaced_by_removing_it_and_adding_a_blank_one()
    {
        var cluster = Cluster(3, 1);
        cluster.ElectLeader();
        var commands = Enumerable.Range(0, 20).Select(_ => cluster.ProposeOnLeader()).ToList();
        cluster.WaitApplied(commands[^1]);
        var lost = cluster.Others(cluster.Leader()!.Value).First();
        cluster.Crash(lost); // its disk is gone for good

        Change(cluster, ConfigurationChange.Remove(lost));
        Change(cluster, ConfigurationChange.AddLearner(4));
        Change(cluster, ConfigurationChange.Promote(4));
        var last = cluster.ProposeOnLeader();
        var members = cluster.Invariants.CommittedConfiguration.Voters.ToArray();
        cluster.WaitApplied(last, on: members);

        Assert.Equal(3, members.Length);
        Assert.DoesNotContain(lost, members);
        Assert.Contains(4, members);
        Assert.Equal([.. commands, last], cluster.Applied(4).ToArray());
    }

    /// <summary>
    /// Why a node with a lost disk must be removed and added again rather than restarted as the same voter: with no
    /// term, vote or log it grants its vote to a candidate that lacks a committed entry. Storage ids make that vote
    /// not count: the wiped node answers from a new storage, not the one the first leader recorded for it.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_voter_restarted_with_a_wiped_disk_cannot_help_elect_a_leader_without_a_committed_entry(bool wiped)
    {
        var cluster = Cluster(3, 0);
        var leader = cluster.ElectLeader();
        for (var i = 0; i < 300 && cluster.Invariants.CommittedConfiguration.StorageIds.Count < 3; i++) cluster.Tick();
        Assert.Equal(3, cluster.Invariants.CommittedConfiguration.StorageIds.Count);
        var (x, y) = (cluster.Others(leader).First(), cluster.Others(leader).Last());
        cluster.Isolate(y);
        var committed = cluster.ProposeOnLeader();
        cluster.WaitApplied(committed, on: [leader, x]);

        cluster.Crash(x);
        if (wiped) cluster.WipeDisk(x);
        cluster.Restart(x);
        cluster.Crash(leader);
        cluster.Heal();

        // y lacks the committed entry: x refuses it its vote, or (wiped, blank) grants one that does not count.
        cluster.Campaign(y);
        cluster.Stabilize();
        Assert.NotEqual(RaftRole.Leader, cluster.Status(y).Role);
        cluster.Tick(100);
        Assert.NotEqual(RaftRole.Leader, cluster.Status(y).Role);
    }
}
