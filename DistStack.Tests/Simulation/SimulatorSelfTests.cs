using DistStack.Tests.Support;
using DistStack.Actors.Raft;
using Xunit.Abstractions;

namespace DistStack.Tests.Simulation;

/// <summary>
/// A checker that never fails proves nothing. These runs break the shell's side of the Ready contract on purpose
/// (acknowledging before the write is durable, forgetting a vote in a crash, serving a read before applying up to
/// its read index) and require the invariants to catch it; the same scripts pass with the honest shell.
/// </summary>
public sealed class SimulatorSelfTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(ShellFault.AcknowledgeBeforeDurable, new[] { "NO COMMITTED ENTRY LOST", "ELECTION SAFETY", "LEADER COMPLETENESS", "STATE MACHINE SAFETY", "LOG MATCHING" })]
    [InlineData(ShellFault.ServeReadsBeforeApplied, new[] { "LINEARIZABILITY" })]
    internal void A_broken_shell_is_caught_in_randomized_runs(ShellFault fault, string[] expected)
    {
        for (var seed = 1; seed <= 50; seed++)
        {
            var cluster = SimCluster.ForRandomRun(seed, $"self-test {fault}, seed {seed}", fault);
            try
            {
                cluster.RunRandom(3000);
            }
            catch (SimulationViolation violation)
            {
                var firstLine = violation.Message.Split('\n')[0];
                output.WriteLine($"{fault}: caught at seed {seed}: {firstLine}");
                Assert.Contains(expected, e => firstLine.Contains(e));
                return;
            }
        }
        Assert.Fail($"{fault} went unnoticed over 50 seeds");
    }

    [Theory]
    [InlineData(ShellFault.None)]
    [InlineData(ShellFault.ForgetVoteOnCrash)]
    internal void A_vote_forgotten_in_a_crash_elects_two_leaders_in_one_term_and_is_caught(ShellFault fault)
    {
        var cluster = new SimCluster(new SimSettings
        {
            Nodes = 3, Seed = 5, Fault = fault,
            Raft = CoreKnobs.For(0, 0) with { PreVote = false, CheckQuorum = false },
            ReplayHint = $"dotnet test --filter \"FullyQualifiedName~Simulation.{nameof(SimulatorSelfTests)}\"",
        });
        var old = cluster.ElectLeader();
        cluster.WaitApplied(cluster.ProposeOnLeader());
        var others = cluster.Others(old).ToArray();
        var (a, b) = (others[0], others[1]);

        // a wins the next term with b's vote; b never hears from a again.
        cluster.Crash(old);
        cluster.Campaign(a);
        for (var i = 0; i < 20 && cluster.Status(a).Role != RaftRole.Leader; i++) cluster.RunFor(1);
        Assert.Equal(RaftRole.Leader, cluster.Status(a).Role);
        cluster.Block(a, b);
        cluster.Block(b, a);

        // b crashes and restarts (with the fault: without its vote); the old leader campaigns in a's term.
        cluster.Crash(b);
        cluster.Restart(b);
        cluster.Restart(old);
        cluster.Block(a, old);
        cluster.Block(old, a);
        Assert.Equal(cluster.Status(a).Term, cluster.Status(old).Term + 1);

        if (fault == ShellFault.None)
        {
            cluster.Campaign(old);
            cluster.Stabilize();
            Assert.NotEqual(RaftRole.Leader, cluster.Status(old).Role);
            return;
        }
        var violation = Assert.Throws<SimulationViolation>(() =>
        {
            cluster.Campaign(old);
            cluster.Stabilize();
        });
        output.WriteLine(violation.Message.Split('\n')[0]);
        Assert.Contains("ELECTION SAFETY", violation.Message.Split('\n')[0]);
    }
}
