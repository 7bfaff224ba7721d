using System.Diagnostics;
using System.Net.Http.Headers;
using DistStack.Actors.Backup;
using DistStack.Actors.Stacks;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Processes;

/// <summary>
/// GET /cluster/snapshot and <c>DistStack.Host restore</c> with real processes: a backup taken from a follower while
/// writes go on holds every write acknowledged before it began; restored into a new cluster (new token, ports and
/// directories) it is exactly the backup's state, takes writes, and the old cluster goes on untouched. A restored
/// cluster that shares an address with the old one drops the old node's messages and the old node drops its own.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class BackupRestoreTests(BackupRestoreTests.OldCluster fixture, ITestOutputHelper output) : IClassFixture<BackupRestoreTests.OldCluster>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(45);

    private const string ReadToken = "read-token-0123456789abcdef";
    private const string WriteToken = "write-token-0123456789abcdef";
    private const string AdminToken = "admin-token-0123456789abcdef";

    /// <summary>
    /// The cluster backed up, shared by both tests (each uses stacks of its own): three nodes with bearer tokens, the
    /// paths the harness polls and writes through left open, so /cluster/snapshot needs the admin token.
    /// </summary>
    public sealed class OldCluster : IAsyncLifetime
    {
        public string Root { get; } = Path.Combine(Path.GetTempPath(), "diststack-tests", $"backup-{Guid.NewGuid():N}"[..20]);

        public ProcessCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Directory.CreateDirectory(Root);
            var tokens = Path.Combine(Root, "tokens");
            await File.WriteAllTextAsync(tokens, $"read {ReadToken}\nread-write {WriteToken}\nadmin {AdminToken}\n");
            Cluster = ProcessCluster.Start(3, new ProcessClusterOptions
            {
                ExtraArguments = _ =>
                [
                    "--cluster-token", "backup-old",
                    "--auth-tokens", tokens, "--auth-open", "/cluster/status,/sCreate,/sPush,/sTop,/sSize",
                ],
            });
            await Cluster.WaitForLeaderAsync(Timeout);
        }

        public async Task DisposeAsync()
        {
            await Cluster.DisposeAsync();
            Directory.Delete(Root, recursive: true);
        }
    }

    [Fact]
    public async Task A_backup_taken_during_writes_restores_into_a_new_cluster_with_exactly_its_state_and_the_old_one_goes_on()
    {
        var old = fixture.Cluster;
        var leader = await old.WaitForLeaderAsync(Timeout);

        // Acknowledged before the backup begins: all of them must be in it.
        var acknowledged = new Dictionary<string, List<string>> { ["s0"] = [], ["s1"] = [], ["s2"] = [] };
        foreach (var stack in acknowledged.Keys.Append("during"))
            Assert.Equal(201, (await old.PostUntilDefiniteAsync("/sCreate", stack, $"create-{stack}", Timeout)).Answer.Status);
        for (var i = 0; i < 30; i++)
        {
            var stack = $"s{i % 3}";
            var (answer, _) = await old.PostUntilDefiniteAsync("/sPush", $"{stack},value {i}, ü", $"push-{i}", Timeout);
            Assert.Equal(200, answer.Status);
            acknowledged[stack].Add($"value {i}, ü");
        }
        var commitBefore = (await old.StatusAsync(leader))!.CommitIndex;

        // Writes go on while the backup is taken, through another node.
        var follower = old.Nodes.First(n => n != leader);
        using var stopWriting = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var sent = 0;
            var acked = 0;
            var writeVia = old.Nodes.First(n => n != leader && n != follower);
            while (!stopWriting.IsCancellationRequested)
            {
                sent++;
                var answer = await old.PostAsync(writeVia, "/sPush", $"during,{sent}", $"during-{sent}");
                if (answer?.Status == 200) acked++;
            }
            return (Sent: sent, Acked: acked);
        });
        Assert.True(await ProcessCluster.EventuallyAsync(async () => (await old.StatusAsync(leader))?.CommitIndex > commitBefore + 10, Timeout));

        var started = Stopwatch.StartNew();
        var response = await SendAsync(old, follower, HttpMethod.Get, AdminToken);
        var file = response.Body;
        output.WriteLine($"backup from follower {follower.Id}: {response.Status}, {file.Length} bytes in {started.ElapsedMilliseconds} ms");
        await stopWriting.CancelAsync();
        var (sent, acked) = await writer;
        Assert.True(acked > 0, $"no write was acknowledged during the backup ({sent} sent)");
        output.WriteLine($"writes during the backup: {sent} sent, {acked} acknowledged");

        Assert.Equal(200, response.Status);
        Assert.Equal("application/octet-stream", response.ContentType);
        Assert.Equal(file.Length, response.ContentLength);
        var (header, stateBytes) = BackupFile.Read(file);
        Assert.Equal(BackupFile.FileNameFor(header), response.FileName);
        var oldStatus = (await old.StatusAsync(leader))!;
        Assert.Equal(oldStatus.ClusterId, Actors.Hosting.ClusterIdentity.Format(header.ClusterId));
        Assert.Equal(follower.Id, header.TakenByNodeId);
        Assert.True(header.Index >= commitBefore, $"backup at index {header.Index}, but {commitBefore} was committed before it began");
        Assert.Equal([1, 2, 3], header.Configuration.Voters.ToArray());
        var backup = StackSnapshotCodec.Read(stateBytes, new StackStateOptions());
        foreach (var (stack, values) in acknowledged)
            Assert.Equal(Enumerable.Reverse(values), backup.ValuesTopDown(stack));
        var duringInBackup = backup.ValuesTopDown("during")!.Count;
        Assert.InRange(duringInBackup, 1, sent);
        output.WriteLine($"backup at index {header.Index} (term {header.Term}), {duringInBackup} of the writes during it included");

        // Restore into a new cluster: new ports, directories and token.
        await using var restored = ProcessCluster.Create(3, new ProcessClusterOptions { Log = output.WriteLine });
        var backupPath = Path.Combine(restored.RootDirectory, "cluster.backup");
        await File.WriteAllBytesAsync(backupPath, file);
        var template = Path.Combine(restored.RootDirectory, "node-{id}", "data");
        var (exitCode, stdout, stderr) = await RunHostAsync("restore", "--snapshot", backupPath, "--cluster", restored.ClusterArgument,
            "--cluster-token", "backup-restored", "--data-dir-template", template);
        output.WriteLine(stdout + stderr);
        Assert.Equal(0, exitCode);
        Assert.Contains("checksum ok", stdout);

        foreach (var node in restored.Nodes) node.Start();
        var restoredLeader = await restored.WaitForLeaderAsync(Timeout);
        var statuses = await restored.WaitForConvergenceAsync(Timeout);
        foreach (var status in statuses.Values)
        {
            Assert.NotEqual(oldStatus.ClusterId, status.ClusterId);
            Assert.Equal(header.Index, status.SnapshotIndex);
            // No command applied since: the digest is the backup's (no-ops and configurations do not change it).
            Assert.Equal(backup.Digest.ToString("x16"), status.StateDigest);
        }
        foreach (var node in restored.Nodes)
        {
            Assert.Equal($"200 {acknowledged["s1"][^1]}", (await restored.PostAsync(node, "/sTop", "s1"))?.ToString());
            Assert.Equal($"200 {duringInBackup}", (await restored.PostAsync(node, "/sSize", "during"))?.ToString());
        }

        // The restored cluster takes writes; its old request keys are remembered (a retried key answers as before).
        Assert.Equal("200 11", (await restored.PostUntilDefiniteAsync("/sPush", "s0,after restore", "restored-1", Timeout)).Answer.ToString());
        Assert.Equal("200 10", (await restored.PostUntilDefiniteAsync("/sPush", "s0,value 27, ü", "push-27", Timeout)).Answer.ToString());
        Assert.Equal("200 after restore", (await restored.PostAsync(restoredLeader, "/sTop", "s0"))?.ToString());

        // The old cluster goes on, untouched by the new one.
        Assert.Equal("200 11", (await old.PostUntilDefiniteAsync("/sPush", "s0,old goes on", "old-1", Timeout)).Answer.ToString());
        var oldAfter = await old.WaitForConvergenceAsync(Timeout);
        Assert.All(oldAfter.Values, s => Assert.Equal(oldStatus.ClusterId, s.ClusterId));
        Assert.Equal("200 old goes on", (await old.PostAsync(leader, "/sTop", "s0"))?.ToString());
        Assert.Equal("200 after restore", (await restored.PostAsync(restoredLeader, "/sTop", "s0"))?.ToString());
    }

    [Fact]
    public async Task The_backup_endpoint_refuses_bad_requests_and_a_restored_cluster_on_an_old_nodes_address_never_talks_to_it()
    {
        var old = fixture.Cluster;
        var root = Path.Combine(fixture.Root, "isolated");
        Directory.CreateDirectory(root);
        var oldLeader = await old.WaitForLeaderAsync(Timeout);
        Assert.Equal("201 a", (await old.PostAsync(oldLeader, "/sCreate", "a"))?.ToString());
        Assert.Equal("200 1", (await old.PostAsync(oldLeader, "/sPush", "a,1"))?.ToString());
        Assert.Equal("200 2", (await old.PostAsync(oldLeader, "/sPush", "a,2"))?.ToString());

        // Only an admin token may take a backup, and only with GET.
        Assert.Equal(401, (await SendAsync(old, oldLeader, HttpMethod.Get, token: null)).Status);
        Assert.Equal(403, (await SendAsync(old, oldLeader, HttpMethod.Get, ReadToken)).Status);
        Assert.Equal(403, (await SendAsync(old, oldLeader, HttpMethod.Get, WriteToken)).Status);
        foreach (var method in new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Head })
        {
            var refused = await SendAsync(old, oldLeader, method, AdminToken);
            Assert.Equal(405, refused.Status);
            Assert.Equal("GET", refused.Allow);
        }
        var backup = await SendAsync(old, oldLeader, HttpMethod.Get, AdminToken);
        Assert.Equal(200, backup.Status);
        var (header, stateBytes) = BackupFile.Read(backup.Body);
        var oldBefore = await old.WaitForConvergenceAsync(Timeout);
        Log("backup taken; restoring");

        // Restored onto the same hosts while old node 3 still runs: the new cluster's node 3 is old node 3's address.
        // Members 1 and 2 are restored one at a time (--id), as on separate hosts; new node 3 is never started.
        var oldNode3 = old.Node(3);
        var ports = TestPorts.Take(4);
        var clusterArgument = string.Join(",", new[] { ports[0], ports[1], oldNode3.RaftPort }.Select(p => $"http://127.0.0.1:{p}"));
        var backupPath = Path.Combine(root, "old.backup");
        await File.WriteAllBytesAsync(backupPath, backup.Body);
        var restored = new List<NodeProcess>();
        try
        {
            string DataDir(int id) => Path.Combine(root, $"node-{id}", "data");
            var restores = await Task.WhenAll(new[] { 1, 2 }.Select(id => RunHostAsync("restore", "--snapshot", backupPath,
                "--cluster", clusterArgument, "--cluster-token", "isolated", "--id", id.ToString(), "--data-dir", DataDir(id))));
            Assert.All(restores, r => Assert.True(r.ExitCode == 0, r.Stdout + r.Stderr));
            foreach (var id in new[] { 1, 2 })
                restored.Add(new NodeProcess(id, ports[1 + id], ports[id - 1], DataDir(id), Path.Combine(root, $"node-{id}", "node.log"),
                    NodeProcessBuildOutput.HostDll,
                    ["--id", id.ToString(), "--cluster", clusterArgument, "--port", ports[1 + id].ToString(), "--data-dir", DataDir(id)],
                    new Dictionary<string, string?>()));

            Log("restored; starting new node 1 alone");
            // Alone, new node 1 cannot win an election (old node 3 answers nothing to another cluster): no leader, so 503.
            restored[0].Start();
            Assert.True(await ProcessCluster.EventuallyAsync(async () => await old.StatusAsync(restored[0]) is not null, Timeout));
            var noLeader = await SendAsync(old, restored[0], HttpMethod.Get, token: null);
            Assert.Equal(503, noLeader.Status);
            Assert.Equal("1", noLeader.RetryAfter);

            Log("503 without a leader; starting new node 2");
            restored[1].Start();
            Assert.True(await ProcessCluster.EventuallyAsync(async () =>
                (await Task.WhenAll(restored.Select(n => old.StatusAsync(n)))).Any(s => s?.Role == "leader"), Timeout),
                string.Join("\n", restored.Select(n => n.TailLog(30))));
            var newLeader = restored.First(n => old.StatusAsync(n).Result?.Role == "leader");
            var status = (await old.StatusAsync(newLeader))!;
            Assert.NotEqual(oldBefore[3].ClusterId, status.ClusterId);
            Assert.Equal(StackSnapshotCodec.Read(stateBytes, new StackStateOptions()).Digest.ToString("x16"), status.StateDigest);
            Assert.Equal("200 2", (await old.PostAsync(newLeader, "/sTop", "a"))?.ToString());
            Assert.Equal("200 3", (await old.PostAsync(newLeader, "/sPush", "a,3"))?.ToString());
            Assert.True(status.Term > header.Term);
            // The new leader never heard old node 3, although it keeps sending to that address.
            Assert.Null(status.Members.Single(m => m.Id == 3).LastHeardMs);

            Log("new cluster serves");
            // Old node 3 refused every message of the new cluster by its cluster id: the old cluster is as it was.
            Assert.True(await ProcessCluster.EventuallyAsync(() => Task.FromResult(oldNode3.ReadLog().Contains("is not this cluster's")), Timeout),
                oldNode3.TailLog(30));
            // Had it taken the new leader's entries, its state would hold the push of 3 and differ from its peers'.
            var oldAfter = await old.WaitForConvergenceAsync(Timeout);
            Assert.Equal(oldBefore[3].StateDigest, oldAfter[3].StateDigest);
            Assert.Equal(oldBefore[3].ClusterId, oldAfter[3].ClusterId);
            Assert.Equal("200 2", (await old.PostAsync(oldNode3, "/sTop", "a"))?.ToString());
        }
        finally
        {
            foreach (var node in restored) await node.DisposeAsync();
        }
    }

    private sealed record Answer(int Status, byte[] Body, string? Allow, string? RetryAfter, string? ContentType, long? ContentLength,
        string? FileName);

    /// <summary>A request to /cluster/snapshot of <paramref name="node"/>, with a bearer token or none.</summary>
    private static async Task<Answer> SendAsync(ProcessCluster cluster, NodeProcess node, HttpMethod method, string? token)
    {
        using var request = new HttpRequestMessage(method, new Uri(node.HttpUrl, "/cluster/snapshot"));
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await cluster.Http.SendAsync(request);
        var headers = response.Content.Headers;
        return new Answer((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(),
            headers.Allow.Count > 0 ? string.Join(", ", headers.Allow) : null, response.Headers.RetryAfter?.ToString(),
            headers.ContentType?.MediaType, headers.ContentLength, headers.ContentDisposition?.FileName?.Trim('"'));
    }

    private void Log(string line) => output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");

    // A restore writes several data directories: a minute, not the half minute a flag check gets.
    private static Task<(int ExitCode, string Stdout, string Stderr)> RunHostAsync(params string[] arguments) =>
        HostCommand.RunAsync(TimeSpan.FromSeconds(60), arguments);
}
