using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace DistStack.Tests.Simulation;

/// <summary>
/// Randomized runs over many seeds: each seed draws a cluster (3 or 5 nodes, Raft knobs, network faults, disk
/// latency) and runs a few thousand steps of crashes, restarts, partitions (both ways and one way), loss,
/// duplication and reordering under client load, with every invariant checked after every step, then heals
/// everything and requires a probe command to be applied everywhere.
/// DISTSTACK_SIM_SEEDS=N runs more seeds; DISTSTACK_SIM_SEED=S replays one.
/// </summary>
public sealed class RandomizedSimulationTests(ITestOutputHelper output)
{
    private const string TestName = nameof(RandomizedSimulationTests);

    [Fact]
    public void Every_seed_keeps_raft_safe_and_live()
    {
        var seeds = SimSeeds.Resolve();
        var steps = SimSeeds.Steps;
        var failures = new ConcurrentBag<(int Seed, string Message)>();
        long totalSteps = 0, totalMessages = 0, totalCommitted = 0, totalApplied = 0, totalCrashes = 0, totalPartitions = 0,
            totalReads = 0, totalReadsServed = 0, totalSnapshots = 0, totalCompactions = 0, totalLeaders = 0, totalProposals = 0,
            totalTransfers = 0, totalChunks = 0, totalWritesBehind = 0;
        var clock = Stopwatch.StartNew();

        Parallel.ForEach(seeds, new ParallelOptions { MaxDegreeOfParallelism = SimSeeds.Threads }, seed =>
        {
            var cluster = SimCluster.ForRandomRun(seed, SimSeeds.ReplayHint(seed, TestName));
            try
            {
                cluster.RunRandom(steps);
            }
            catch (SimulationViolation violation)
            {
                failures.Add((seed, $"[{cluster.Describe()}]\n{violation.Message}"));
            }
            Interlocked.Add(ref totalSteps, cluster.Steps);
            Interlocked.Add(ref totalMessages, cluster.Stats.MessagesSent);
            Interlocked.Add(ref totalCommitted, cluster.Invariants.CommittedCount);
            Interlocked.Add(ref totalApplied, cluster.Stats.EntriesApplied);
            Interlocked.Add(ref totalCrashes, cluster.Stats.Crashes);
            Interlocked.Add(ref totalPartitions, cluster.Stats.Partitions);
            Interlocked.Add(ref totalReads, cluster.Stats.ReadsRequested);
            Interlocked.Add(ref totalReadsServed, cluster.Stats.ReadsServed);
            Interlocked.Add(ref totalSnapshots, cluster.Stats.SnapshotsInstalled);
            Interlocked.Add(ref totalCompactions, cluster.Stats.Compactions);
            Interlocked.Add(ref totalLeaders, cluster.Invariants.LeadersElected);
            Interlocked.Add(ref totalProposals, cluster.Stats.ProposalsAccepted);
            Interlocked.Add(ref totalTransfers, cluster.Stats.Sent<DistStack.Actors.Raft.TimeoutNow>());
            Interlocked.Add(ref totalChunks, cluster.Stats.Sent<DistStack.Actors.Raft.InstallSnapshot>());
            Interlocked.Add(ref totalWritesBehind, cluster.Stats.WritesQueuedBehindAnother);
        });

        output.WriteLine(
            $"{seeds.Count} seeds x {steps} steps in {clock.Elapsed.TotalSeconds:F1}s: {totalSteps} steps, {totalMessages} messages, " +
            $"{totalProposals} proposals accepted, {totalCommitted} entries committed, {totalApplied} applied, {totalLeaders} leaders elected, " +
            $"{totalCrashes} crashes, {totalPartitions} partitions, {totalReads} reads ({totalReadsServed} served), " +
            $"{totalCompactions} compactions, {totalChunks} snapshot chunks sent, {totalSnapshots} snapshots installed, " +
            $"{totalTransfers} leadership transfers (TimeoutNow), {totalWritesBehind} writes queued behind another in flight; " +
            $"{failures.Count} failing seeds");

        SimSeeds.AssertNoneFailed(failures, seeds.Count);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(42)]
    [InlineData(4242)]
    public void One_seed_replays_one_run_exactly(int seed)
    {
        static string Fingerprint(int seed)
        {
            var cluster = SimCluster.ForRandomRun(seed, "");
            cluster.RunRandom(3000);
            var history = 14695981039346656037UL;
            for (var i = 1; i <= cluster.Invariants.CommittedCount; i++)
            {
                var e = cluster.Invariants.CommittedAt(i);
                history = (history ^ (ulong)e.Term) * 1099511628211UL;
                foreach (var b in e.Data) history = (history ^ b) * 1099511628211UL;
            }
            return $"{cluster.Steps} steps, t={cluster.Now}, {cluster.Stats.MessagesSent} messages, {cluster.Stats.Crashes} crashes, " +
                   $"{cluster.Invariants.CommittedCount} committed (history {history:x16})\n{cluster.Trace.Tail(40)}";
        }

        var first = Fingerprint(seed);
        var second = Fingerprint(seed);
        Assert.Equal(first, second);
        Assert.NotEqual(first, Fingerprint(seed + 1));
    }
}
