using System.Text;
using DistStack.Tests.Linearizability;

namespace DistStack.Tests.Chaos;

/// <summary>
/// One chaos run: five real Host processes, concurrent HTTP clients recording every call, a seeded fault
/// schedule, then heal, drain every stack, and check (1) linearizability (2) no acknowledged push lost
/// (3) every node at the same applied index with the same state digest. Everything lands in one folder.
/// </summary>
public sealed class ChaosRunner(ChaosOptions options)
{
    private readonly ChaosClock _clock = new();
    private readonly HistoryRecorder _history = new();
    private StreamWriter? _runLog;

    public async Task<ChaosReport> RunAsync()
    {
        var runDirectory = options.RunDirectory ?? DefaultRunDirectory(options.Seed);
        Directory.CreateDirectory(runDirectory);
        _runLog = new StreamWriter(Path.Combine(runDirectory, "run.log")) { AutoFlush = true };
        var dataRoot = Path.Combine(Path.GetTempPath(), "diststack-chaos", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-seed{options.Seed}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(dataRoot);
        Log($"chaos run seed {options.Seed}, faults for {options.FaultDuration.TotalSeconds:F0}s, files in {runDirectory}, data under {dataRoot}");

        var random = new Random(options.Seed);
        var (cluster, networkNote) = await StartClusterAsync(dataRoot);
        var failed = true;
        try
        {
            var report = await RunOnClusterAsync(cluster, networkNote, random, runDirectory);
            failed = !report.Passed;
            return report;
        }
        finally
        {
            cluster.KeepData = failed;
            await cluster.DisposeAsync();
            CopyNodeLogs(cluster, runDirectory);
            if (!failed)
            {
                TryDelete(dataRoot);
            }

            _runLog.Dispose();
        }
    }

    private async Task<(IChaosCluster Cluster, string Note)> StartClusterAsync(string dataRoot)
    {
        var (canPartition, why) = options.UseNetworkNamespaces == false
            ? (false, "disabled (DISTSTACK_CHAOS_NETNS=0)")
            : options.Postgres
                ? (false, "PostgreSQL storage runs on loopback (the server is on the host's 127.0.0.1)")
                : NamespaceChaosCluster.CanRun();
        if (canPartition)
        {
            try
            {
                var cluster = await NamespaceChaosCluster.StartAsync(options.Nodes, dataRoot, Log);
                return (cluster, "");
            }
            catch (Exception e) when (options.UseNetworkNamespaces != true)
            {
                why = $"network namespace setup failed: {e.Message}";
            }
        }

        var note = $"!!! NO NETWORK PARTITIONS IN THIS RUN: {why}. Kills and pauses only. !!!";
        Log(note);
        return (options.Postgres
            ? HarnessChaosCluster.StartOnPostgres(options.Nodes, dataRoot, why, Log)
            : HarnessChaosCluster.Start(options.Nodes, dataRoot, why, Log), note);
    }

    private async Task<ChaosReport> RunOnClusterAsync(IChaosCluster cluster, string networkNote, Random random, string runDirectory)
    {
        var probe = new ClusterProbe(cluster);
        var client = new StackOpClient(cluster, _history, _clock, options, $"chaos{options.Seed}-{Guid.NewGuid():N}"[..24]);
        var failures = new List<string>();

        var firstLeader = await probe.WaitForLeaderAsync(TimeSpan.FromSeconds(120));
        if (firstLeader is null)
        {
            failures.Add("no leader elected within 120 s of the start");
            var statuses = await probe.StatusesAsync();
            return Finish(cluster, runDirectory, networkNote, [], failures, null, null, null, statuses, client, []);
        }

        Log($"leader: node {firstLeader.Id}");
        var stacks = Enumerable.Range(0, options.Stacks).Select(i => $"chaos-{i}").ToList();
        foreach (var stack in stacks)
        {
            await client.ExecuteAsync(0, stack, StackOpKind.Create, null, new Random(random.Next()), attempts: 10);
        }

        // Clients and faults.
        var workloadStart = _clock.NowMicros;
        using var stopClients = new CancellationTokenSource();
        var clients = Enumerable.Range(1, options.Clients)
            .Select(c => RunClientAsync(client, c, stacks, new Random(random.Next()), stopClients.Token))
            .ToList();
        var nemesis = new Nemesis(cluster, probe, _clock, new Random(random.Next()), Log);
        await nemesis.RunAsync(options.FaultDuration, CancellationToken.None);
        Log("faults over: healing everything");
        await nemesis.HealEverythingAsync();
        failures.AddRange(nemesis.CatchUps.Where(c => !c.InTime).Select(c => $"liveness: {c}"));
        failures.AddRange(nemesis.Failures.Select(f => $"membership: {f}"));

        // Let clients see the healed cluster for a little while, then stop them.
        await Task.Delay(TimeSpan.FromSeconds(3));
        stopClients.Cancel();
        await Task.WhenAll(clients);
        var workloadEnd = _clock.NowMicros;
        Log($"clients stopped: {_history.Ops.Count} ops recorded");

        if (await probe.WaitForLeaderAsync(TimeSpan.FromSeconds(60)) is null)
        {
            failures.Add("no leader within 60 s after healing everything");
        }

        // Drain: pop every stack until it answers empty, recorded like any other op. Bounded: a cluster that
        // stops answering must end the run with a verdict, not hang it.
        var drainDeadline = DateTime.UtcNow + TimeSpan.FromMinutes(10);
        foreach (var stack in stacks)
        {
            var drainRandom = new Random(random.Next());
            var consecutiveFailures = 0;
            while (true)
            {
                if (DateTime.UtcNow > drainDeadline || consecutiveFailures >= 20)
                {
                    failures.Add($"drain of {stack} did not finish ({consecutiveFailures} pops in a row without an answer, or 10 minutes in all)");
                    break;
                }

                var op = await client.ExecuteAsync(1000, stack, StackOpKind.Pop, null, drainRandom, attempts: 10);
                if (op.Status != OpStatus.Ok)
                {
                    consecutiveFailures++;
                    continue;
                }

                consecutiveFailures = 0;
                if (op.Result!.Kind != ResultKind.Value)
                {
                    break;
                }
            }
        }

        Log("drained; waiting for convergence");
        var (converged, finalStatuses) = await probe.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        if (!converged)
        {
            failures.Add("nodes did not converge to one applied index and state digest within 60 s:\n" + ClusterProbe.Describe(finalStatuses));
        }

        var history = _history.Ops;
        Log($"checking {history.Count} ops");
        using var checkerDeadline = new CancellationTokenSource(options.CheckerTimeLimit);
        var linearizability = LinearizabilityChecker.Check(history, new CheckOptions
        {
            MaxStepsPerPartition = options.CheckerStepsPerStack,
            MaxParallelism = 2,
            Cancellation = checkerDeadline.Token,
        });
        var lost = LostPushChecker.Check(history);
        if (linearizability.Verdict == Verdict.NotLinearizable)
        {
            failures.Add("history is NOT linearizable");
        }
        else if (linearizability.Verdict == Verdict.Unknown)
        {
            // Not a pass: the client resolves every ambiguous op before it is recorded, so an inconclusive search
            // means the history or the checker needs looking at, not a shrug.
            failures.Add("linearizability is UNKNOWN: the checker's budget ran out before a proof or a counterexample");
        }

        var unresolved = history.Count(o => o.Status == OpStatus.Unknown);
        if (unresolved > 0)
        {
            failures.Add($"{unresolved} ops still without a definite answer {options.ResolveUnknownFor.TotalSeconds:F0} s after they were invoked (retried with their Idempotency-Key throughout)");
        }

        if (!lost.Ok)
        {
            failures.Add($"acknowledged pushes lost (at least {lost.LostAtLeast}) or values popped twice / never pushed");
        }

        if (lost.UndrainedStacks.Any())
        {
            failures.Add($"stacks not drained: {string.Join(", ", lost.UndrainedStacks)}");
        }

        if (client.Anomalies > 0)
        {
            failures.Add($"{client.Anomalies} protocol anomalies (answers the API does not allow)");
        }

        return Finish(cluster, runDirectory, networkNote, nemesis.Events, failures, linearizability, lost, (workloadStart, workloadEnd), finalStatuses, client, nemesis.CatchUps);
    }

    private async Task RunClientAsync(StackOpClient client, int clientId, IReadOnlyList<string> stacks, Random random, CancellationToken stop)
    {
        var seq = 0;
        while (!stop.IsCancellationRequested)
        {
            var stack = stacks[random.Next(stacks.Count)];
            var roll = random.Next(100);
            var kind = roll switch
            {
                < 45 => StackOpKind.Push,
                < 75 => StackOpKind.Pop,
                < 85 => StackOpKind.Top,
                < 93 => StackOpKind.Size,
                < 97 => StackOpKind.Exists,
                _ => StackOpKind.Create,
            };
            var value = kind == StackOpKind.Push ? $"c{clientId}-{++seq}" : null;
            var op = await client.ExecuteAsync(clientId, stack, kind, value, random);
            if (op.Status != OpStatus.Ok)
            {
                // Back off while the cluster is unavailable instead of flooding the history with failures.
                await Task.Delay(100 + random.Next(400), CancellationToken.None);
            }

            var think = (int)options.MaxThinkTime.TotalMilliseconds;
            if (think > 0)
            {
                await Task.Delay(random.Next(think + 1), CancellationToken.None);
            }
        }
    }

    private ChaosReport Finish(
        IChaosCluster cluster,
        string runDirectory,
        string networkNote,
        IReadOnlyList<FaultEvent> faults,
        List<string> failures,
        LinearizabilityResult? linearizability,
        LostPushReport? lost,
        (long Start, long End)? workload,
        IReadOnlyDictionary<int, DistStack.Host.Http.ClusterStatusDocument> finalStatuses,
        StackOpClient client,
        IReadOnlyList<CatchUp> catchUps)
    {
        var history = _history.Ops;
        _history.Write(Path.Combine(runDirectory, "history.jsonl"));
        File.WriteAllLines(Path.Combine(runDirectory, "faults.txt"), faults.Select(f => f.ToString()));

        var report = ChaosReport.Build(options, runDirectory, cluster.NetworkDescription, networkNote, history, faults, failures,
            linearizability, lost, workload, finalStatuses, client.AnomalyNotes, catchUps);
        File.WriteAllText(Path.Combine(runDirectory, "verdict.txt"), report.Text);
        Log(report.Text);
        return report;
    }

    private void CopyNodeLogs(IChaosCluster cluster, string runDirectory)
    {
        var nodes = Path.Combine(runDirectory, "nodes");
        Directory.CreateDirectory(nodes);
        foreach (var node in cluster.Nodes)
        {
            try
            {
                File.Copy(node.LogPath, Path.Combine(nodes, $"node-{node.Id}.log"), overwrite: true);
            }
            catch (IOException e)
            {
                Log($"could not copy the log of node {node.Id}: {e.Message}");
            }
        }
    }

    private void Log(string line)
    {
        var stamped = $"{DateTime.UtcNow:HH:mm:ss.fff} [{ChaosClock.Format(_clock.NowMicros)}] {line}";
        lock (_clock)
        {
            _runLog?.WriteLine(stamped);
        }

        options.Log?.Invoke(stamped);
    }

    public static string DefaultRunDirectory(int seed)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DistStack.sln")))
            {
                return Path.Combine(dir.FullName, "artifacts", "chaos", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-seed{seed}");
            }
        }

        return Path.Combine(Path.GetTempPath(), "diststack-chaos-runs", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-seed{seed}");
    }

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
