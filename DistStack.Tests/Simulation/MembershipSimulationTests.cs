using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace DistStack.Tests.Simulation;

/// <summary>
/// Randomized runs of <see cref="RandomizedSimulationTests"/> with the membership nemesis on top of every other fault:
/// blank spares added as learners, learners promoted, members removed (the leader too), removed nodes retired, and
/// disks lost (a member restarts blank under a new storage id, then is replaced: removed and added again blank).
/// Every invariant holds across configurations (a committed entry must be durable on a quorum of the voters that
/// committed it), and after healing, every member applies a probe. Same seed controls as the other randomized runs
/// (DISTSTACK_SIM_SEEDS=N, DISTSTACK_SIM_SEED=S).
/// </summary>
public sealed class MembershipSimulationTests(ITestOutputHelper output)
{
    private const string TestName = nameof(MembershipSimulationTests);

    [Fact]
    public void Every_seed_stays_safe_and_live_while_members_come_and_go()
    {
        var seeds = SimSeeds.Resolve(defaultCount: 500);
        var steps = SimSeeds.Steps;
        var failures = new ConcurrentBag<(int Seed, string Message)>();
        long accepted = 0, refused = 0, retired = 0, committed = 0, leaders = 0, snapshots = 0, disksLost = 0;
        var clock = Stopwatch.StartNew();

        Parallel.ForEach(seeds, new ParallelOptions { MaxDegreeOfParallelism = SimSeeds.Threads }, seed =>
        {
            var cluster = SimCluster.ForRandomRun(seed, SimSeeds.ReplayHint(seed, TestName), membershipChanges: true);
            try
            {
                cluster.RunRandom(steps);
            }
            catch (SimulationViolation violation)
            {
                failures.Add((seed, $"[{cluster.Describe()}]\n{violation.Message}"));
            }
            Interlocked.Add(ref accepted, cluster.MembershipChangesAccepted);
            Interlocked.Add(ref refused, cluster.MembershipChangesRefused);
            Interlocked.Add(ref retired, cluster.NodesRetired);
            Interlocked.Add(ref disksLost, cluster.DisksLost);
            Interlocked.Add(ref committed, cluster.Invariants.CommittedCount);
            Interlocked.Add(ref leaders, cluster.Invariants.LeadersElected);
            Interlocked.Add(ref snapshots, cluster.Stats.SnapshotsInstalled);
        });

        output.WriteLine(
            $"{seeds.Count} seeds x {steps} steps in {clock.Elapsed.TotalSeconds:F1}s: {accepted} membership changes accepted, " +
            $"{refused} refused, {retired} nodes retired, {disksLost} disks lost, {committed} entries committed, {leaders} leaders elected, " +
            $"{snapshots} snapshots installed; {failures.Count} failing seeds");
        SimSeeds.AssertNoneFailed(failures, seeds.Count);
        if (seeds.Count < 100) return; // a replay of a few seeds: the nemesis' overall activity says nothing
        Assert.True(accepted > seeds.Count, $"the nemesis barely changed anything: {accepted} changes in {seeds.Count} seeds");
        Assert.True(disksLost > seeds.Count / 10, $"the nemesis barely lost a disk: {disksLost} in {seeds.Count} seeds");
    }
}
