using DistStack.Tests.Support;
using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

/// <summary>
/// Crashes and restarts from the simulated disk, mirroring MIT 6.824 2C (persist, Figure 8, churn). A crash loses
/// whatever was not yet durable (the Ready in flight and the messages waiting for it).
/// </summary>
public sealed class PersistenceScenarioTests
{
    private const string Name = nameof(PersistenceScenarioTests);

    [Fact]
    public void Committed_commands_survive_a_crash_of_all_nodes()
    {
        var (cluster, _) = SimScenario.WithLeader(3, Name);
        var commands = Enumerable.Range(0, 5).Select(_ => cluster.ProposeOnLeader()).ToList();
        cluster.WaitApplied(commands[^1]);
        var termBefore = Enumerable.Range(1, 3).Max(id => cluster.Status(id).Term);

        for (var id = 1; id <= 3; id++) cluster.Crash(id);
        for (var id = 1; id <= 3; id++) cluster.Restart(id);
        for (var id = 1; id <= 3; id++) Assert.True(cluster.Status(id).Term >= termBefore, "a restarted node forgot its term");

        var after = cluster.ProposeOnLeader();
        cluster.WaitApplied(after);
        for (var id = 1; id <= 3; id++) Assert.Equal([.. commands, after], cluster.Applied(id).ToArray());
    }

    [Fact]
    public void Committed_commands_survive_crashes_of_the_leader_and_of_some_followers()
    {
        var (cluster, leader) = SimScenario.WithLeader(5, Name);
        var commands = new List<long> { cluster.ProposeOnLeader() };
        cluster.WaitApplied(commands[0]);

        cluster.Crash(leader);
        commands.Add(cluster.ProposeOnLeader());
        cluster.WaitApplied(commands[^1]);

        var leader2 = cluster.Leader()!.Value;
        var follower = cluster.Others(leader, leader2).First();
        cluster.Crash(follower);
        cluster.Restart(leader);
        commands.Add(cluster.ProposeOnLeader());
        cluster.WaitApplied(commands[^1]);

        cluster.Restart(follower);
        cluster.Crash(cluster.Leader()!.Value);
        commands.Add(cluster.ProposeOnLeader());
        for (var id = 1; id <= 5; id++) cluster.Restart(id);
        cluster.WaitApplied(commands[^1]);
        for (var id = 1; id <= 5; id++) Assert.Equal(commands, cluster.Applied(id).ToArray());
    }

    [Fact]
    public void A_vote_lost_in_a_crash_before_it_was_durable_was_never_sent()
    {
        // Slow disks: the candidate's vote requests go out at once, the votes come back only after the voters'
        // writes. Crash every voter while its write is in flight, many times over: election safety (checked
        // after every step) must hold, and the votes that were lost must not have been counted.
        var cluster = new SimCluster(new SimSettings
        {
            Nodes = 3, Seed = 11, MinDiskLatency = 5, MaxDiskLatency = 30, MaxDelay = 4,
            ReplayHint = $"dotnet test --filter \"FullyQualifiedName~Simulation.{Name}\" (scripted, seed 11)",
        });
        var random = new Random(11);
        for (var round = 0; round < 300; round++)
        {
            cluster.Tick();
            if (cluster.Leader() is { } leader && random.Next(8) == 0) cluster.Crash(leader); // force elections
            foreach (var node in cluster.Nodes)
                if (node.IsUp && node.Writes.Any(w => w.Ready.HardState is not null) && random.Next(3) == 0) cluster.Crash(node.Id);
            foreach (var node in cluster.Nodes)
                if (!node.IsUp && random.Next(4) == 0) cluster.Restart(node.Id);
        }
        for (var id = 1; id <= 3; id++) cluster.Restart(id);
        var command = cluster.ProposeOnLeader();
        cluster.WaitApplied(command);
        Assert.True(cluster.Stats.Crashes > 20, $"only {cluster.Stats.Crashes} crashes");
    }

    [Theory]
    [InlineData(false, 3)]
    [InlineData(false, 4)]
    [InlineData(true, 5)]
    [InlineData(true, 6)]
    public void Figure_8_leader_crashes_never_lose_or_fork_committed_entries(bool unreliable, int seed)
    {
        // MIT 6.824 TestFigure8(Unreliable)2C: leaders crash right after proposing, nodes come and go; entries
        // of older terms must never be counted committed by replica count alone (Raft paper Figure 8).
        var cluster = new SimCluster(new SimSettings
        {
            Nodes = 5, Seed = seed, MaxDelay = unreliable ? 12 : 2,
            LossRate = unreliable ? 0.1 : 0, DuplicateRate = unreliable ? 0.03 : 0, LongDelayRate = unreliable ? 0.05 : 0,
            MaxDiskLatency = 6,
            ReplayHint = $"dotnet test --filter \"FullyQualifiedName~Simulation.{Name}.Figure_8\" (scripted, seed {seed})",
        });
        var random = new Random(seed);
        var up = 5;
        for (var iteration = 0; iteration < 300; iteration++)
        {
            var leader = cluster.Leader();
            if (leader is { } l) cluster.Propose(l);
            cluster.Tick(random.Next(10) < 8 ? random.Next(1, 3) : random.Next(5, 40));
            leader = cluster.Leader();
            if (leader is { } l2 && random.Next(2) == 0) { cluster.Crash(l2); up--; }
            if (up < 3)
            {
                var down = cluster.Nodes.Where(n => !n.IsUp).ToList();
                cluster.Restart(down[random.Next(down.Count)].Id);
                up++;
            }
        }
        cluster.LossRate = 0; cluster.DuplicateRate = 0; cluster.LongDelayRate = 0;
        for (var id = 1; id <= 5; id++) cluster.Restart(id);
        var final = cluster.ProposeOnLeader();
        cluster.WaitApplied(final, maxRounds: 400);
        for (var id = 2; id <= 5; id++) Assert.Equal(cluster.Applied(1), cluster.Applied(id));
        Assert.True(cluster.Invariants.LeadersElected > 20, $"only {cluster.Invariants.LeadersElected} leaders: too little churn to mean anything");
    }

    [Theory]
    [InlineData(false, 21)]
    [InlineData(true, 22)]
    public void Churn_of_crashes_restarts_and_proposals_on_any_node(bool unreliable, int seed)
    {
        // MIT 6.824 Test(Un)ReliableChurn2C: nodes crash and come back at random while clients propose anywhere.
        var cluster = new SimCluster(new SimSettings
        {
            Nodes = 5, Seed = seed, MaxDelay = unreliable ? 10 : 2,
            LossRate = unreliable ? 0.08 : 0, DuplicateRate = unreliable ? 0.03 : 0, LongDelayRate = unreliable ? 0.03 : 0,
            MaxDiskLatency = 8,
            ReplayHint = $"dotnet test --filter \"FullyQualifiedName~Simulation.{Name}.Churn\" (scripted, seed {seed})",
        });
        var random = new Random(seed);
        var accepted = new List<long>();
        for (var iteration = 0; iteration < 400; iteration++)
        {
            var target = random.Next(1, 6);
            if (cluster.Node(target).IsUp)
            {
                var (id, result) = cluster.Propose(target);
                if (result is ProposeResult.Accepted) accepted.Add(id);
            }
            if (random.Next(100) < 10) cluster.Crash(random.Next(1, 6));
            if (random.Next(100) < 12) cluster.Restart(random.Next(1, 6));
            cluster.Tick(random.Next(1, 4));
        }
        cluster.LossRate = 0; cluster.DuplicateRate = 0; cluster.LongDelayRate = 0;
        for (var id = 1; id <= 5; id++) cluster.Restart(id);
        var final = cluster.ProposeOnLeader();
        cluster.WaitApplied(final, maxRounds: 400);
        var applied = cluster.Applied(1);
        for (var id = 2; id <= 5; id++) Assert.Equal(applied, cluster.Applied(id));
        Assert.Equal(applied.Count, applied.Distinct().Count());
        Assert.All(applied, c => Assert.True(accepted.Contains(c) || c == final, $"command {c} applied but never accepted"));
        Assert.True(applied.Count > 20, $"only {applied.Count} commands survived the churn: too little progress");
    }

    [Fact]
    public void An_append_acknowledgement_queued_before_a_truncation_does_not_leave_after_it()
    {
        // Found by seed 4626: a follower with a slow disk acknowledges a duplicate of an append while its write is
        // in flight (the ack waits for the next Ready); a new leader then truncates that entry. The queued ack,
        // stamped with the old term, must not leave after the truncation is durable: it would tell the old leader
        // "I hold your entry" when the disk holds another one there.
        var cluster = new SimCluster(new SimSettings
        {
            Nodes = 5, Seed = 9, Raft = CoreKnobs.For(0, 0) with { PreVote = false, CheckQuorum = false },
            ReplayHint = $"dotnet test --filter \"FullyQualifiedName~Simulation.{Name}.An_append_acknowledgement_queued\"",
        });
        var leader = cluster.ElectLeader();
        cluster.WaitApplied(cluster.ProposeOnLeader());
        var others = cluster.Others(leader).ToArray();
        var (follower, rest) = (others[0], others[1..]);
        foreach (var id in rest) cluster.Block(leader, id);
        cluster.SetDiskLatency(follower, 100);

        cluster.DuplicateRate = 1; // the follower receives the append twice
        cluster.Propose(leader);
        cluster.DuplicateRate = 0;
        cluster.RunFor(3);

        cluster.Campaign(rest[0]); // a leader of the next term without that entry
        for (var i = 0; i < 30 && cluster.Status(rest[0]).Role != RaftRole.Leader; i++) cluster.RunFor(1);
        Assert.Equal(RaftRole.Leader, cluster.Status(rest[0]).Role);
        cluster.RunFor(400);
        cluster.SetDiskLatency(follower, 1);
        cluster.Heal();
        cluster.WaitApplied(cluster.ProposeOnLeader());
    }

    [Fact]
    public void Figure_8_of_the_paper_an_old_term_entry_on_a_majority_is_not_committed_by_counting_replicas()
    {
        // Raft paper, Figure 8 (and etcd TestLeaderOnlyCommitsLogFromCurrentTerm), scripted without ticks.
        var cluster = new SimCluster(new SimSettings
        {
            Nodes = 5, Seed = 8,
            Raft = CoreKnobs.For(0, 0) with { PreVote = false, CheckQuorum = false, MaxEntriesPerAppend = 1 },
            ReplayHint = $"dotnet test --filter \"FullyQualifiedName~Simulation.{Name}.Figure_8_of_the_paper\"",
        });
        RaftRole Role(int id) => cluster.Status(id).Role;

        // (a) n1 leads; X (its term) reaches n2 only.
        cluster.Campaign(1);
        cluster.Stabilize();
        Assert.Equal(RaftRole.Leader, Role(1));
        var x = cluster.Node(1).MemLog.LastIndex + 1;
        cluster.Partition([1, 2], [3], [4], [5]);
        var (xCommand, _) = cluster.Propose(1);
        cluster.Stabilize();
        var xTerm = cluster.Node(2).MemLog.TermAt(x);
        Assert.Equal(cluster.Status(1).Term, xTerm);

        // (b) n1 crashes; n5 wins the next term with n3 and n4 and appends its no-op at X's index, alone.
        cluster.Crash(1);
        cluster.Partition([2], [3, 4, 5]);
        cluster.Campaign(5);
        cluster.RunUntil(() => Role(5) == RaftRole.Leader);
        cluster.Partition([1], [2], [3], [4], [5]);
        cluster.Stabilize();
        Assert.True(cluster.Node(5).Disk.Log.TermAt(x) > xTerm);

        // (c) n5 crashes; n1 returns, wins a later term with n2 and n3, and copies X to n3: X is on a majority
        //     (n1, n2, n3), n3's acknowledgement reaches n1, but n1's own-term entry is not on a majority.
        cluster.Crash(5);
        cluster.Restart(1);
        cluster.Partition([1, 2, 3], [4], [5]);
        for (var i = 0; i < 5 && Role(1) != RaftRole.Leader; i++)
        {
            cluster.Campaign(1);
            cluster.RunUntil(() => Role(1) == RaftRole.Leader || !cluster.Node(1).Writing && Role(1) == RaftRole.Follower, 8, throwIfNot: false);
        }
        Assert.Equal(RaftRole.Leader, Role(1));
        cluster.RunUntil(() => cluster.Node(3).Disk.Log.TermAt(x) == xTerm);
        cluster.Block(1, 3);
        cluster.Block(1, 2);
        cluster.Stabilize();
        Assert.True(cluster.Status(1).MatchIndex[3] >= x, "n3's acknowledgement of X did not reach n1");
        Assert.True(cluster.Status(1).CommitIndex < x, $"n1 committed X (index {x}, term {xTerm}) by counting replicas of an older term");

        // (d) n1 crashes; n5 returns and wins with n3 and n4 (its last term is newer than X's) and overwrites X.
        cluster.Crash(1);
        cluster.Restart(5);
        cluster.Heal();
        for (var i = 0; i < 5 && Role(5) != RaftRole.Leader; i++)
        {
            cluster.Campaign(5);
            cluster.RunUntil(() => Role(5) == RaftRole.Leader || !cluster.Node(5).Writing && Role(5) == RaftRole.Follower, 8, throwIfNot: false);
        }
        Assert.Equal(RaftRole.Leader, Role(5));
        cluster.Restart(1);
        var after = cluster.ProposeOnLeader();
        cluster.WaitApplied(after);
        for (var id = 1; id <= 5; id++) Assert.DoesNotContain(xCommand, cluster.Applied(id));
    }
}
