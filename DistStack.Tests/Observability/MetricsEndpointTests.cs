using DistStack.Host.Http;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Observability;

/// <summary>
/// GET /metrics of real node processes, parsed as Prometheus text: acknowledged writes move the committed
/// counter, the index gauges say what /cluster/status says, and a killed leader moves the leader-change counter
/// and the term on the survivors.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class MetricsEndpointTests : IClassFixture<ObservedCluster>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly ObservedCluster _fixture;
    private ProcessCluster Cluster => _fixture.Cluster;

    public MetricsEndpointTests(ObservedCluster fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        fixture.Output = output.WriteLine;
    }

    private async Task<PrometheusText> ScrapeAsync(NodeProcess node)
    {
        var answer = await Cluster.SendAsync(node, HttpMethod.Get, "/metrics", timeout: TimeSpan.FromSeconds(10))
                     ?? throw new InvalidOperationException($"{node} did not answer GET /metrics");
        Assert.Equal(200, answer.Status);
        Assert.StartsWith("text/plain", answer.Header("Content-Type"));
        return PrometheusText.Parse(answer.Body);
    }

    [Fact]
    public async Task Metrics_follow_acknowledged_writes_the_status_document_and_a_leader_kill()
    {
        _fixture.Failed = true;
        var leader = await Cluster.WaitForLeaderAsync(Deadline);
        var before = await ScrapeAsync(leader);
        Assert.Equal("counter", before.Types["diststack_server_proposals_committed_total"]);
        Assert.Equal("counter", before.Types["diststack_server_leader_changes_seen_total"]);
        Assert.Equal("histogram", before.Types["diststack_disk_journal_write_duration_seconds"]);
        Assert.Equal("gauge", before.Types["diststack_raft_commit_index"]);
        Assert.Equal(1, before.Value("diststack_server_is_leader"));
        Assert.Equal(1, before.Value("diststack_server_has_leader"));

        // N acknowledged pushes: the committed-proposals counter grows by at least N.
        const int pushes = 25;
        Assert.Equal(201, (await Cluster.PostUntilDefiniteAsync("/sCreate", "m", "metrics-create", Deadline, leader)).Answer.Status);
        for (var i = 1; i <= pushes; i++)
            Assert.Equal(200, (await Cluster.PostUntilDefiniteAsync("/sPush", $"m,{i}", $"metrics-push-{i}", Deadline, leader)).Answer.Status);
        var after = await ScrapeAsync(leader);
        var committed = after.Value("diststack_server_proposals_committed_total") - before.Value("diststack_server_proposals_committed_total");
        Cluster.Log($"committed counter grew by {committed} over {pushes + 1} acknowledged writes");
        Assert.True(committed >= pushes + 1, $"committed counter grew by {committed}, fewer than the {pushes + 1} acknowledged writes");
        Assert.True(after.Value("diststack_disk_journal_write_duration_seconds_count") > before.Value("diststack_disk_journal_write_duration_seconds_count"));
        Assert.True(after.Sum("http_requests_received_total") > before.Sum("http_requests_received_total"));
        Assert.True(after.Value("diststack_state_request_keys") >= pushes + 1);

        // With the cluster quiet, every node's index gauges equal its /cluster/status (read before and after the scrape).
        await Cluster.WaitForConvergenceAsync(Deadline);
        foreach (var node in Cluster.Nodes)
        {
            string? mismatch = null;
            var equal = await ProcessCluster.EventuallyAsync(async () =>
            {
                var s1 = await Cluster.StatusAsync(node);
                var metrics = await ScrapeAsync(node);
                var s2 = await Cluster.StatusAsync(node);
                if (s1 is null || s2 is null || Indexes(s1) != Indexes(s2)) return false;
                var gauges = (Term: (long)metrics.Value("diststack_raft_term"), Commit: (long)metrics.Value("diststack_raft_commit_index"),
                    Applied: (long)metrics.Value("diststack_raft_applied_index"), Last: (long)metrics.Value("diststack_raft_last_log_index"),
                    Snapshot: (long)metrics.Value("diststack_raft_snapshot_index"));
                mismatch = $"status {Indexes(s1)}, metrics {gauges}";
                return gauges == Indexes(s1);
            }, Deadline);
            Assert.True(equal, $"{node}: index gauges never equalled /cluster/status: {mismatch}");
        }

        // A leader kill moves the leader-change counter and the term on a survivor.
        var survivor = Cluster.Nodes.First(n => n != leader);
        var beforeKill = await ScrapeAsync(survivor);
        await leader.KillAsync();
        var newLeader = await Cluster.WaitForNewLeaderAsync(leader, Deadline);
        Cluster.Log($"leader {leader} killed; new leader {newLeader}");
        PrometheusText? afterKill = null;
        var moved = await ProcessCluster.EventuallyAsync(async () =>
        {
            afterKill = await ScrapeAsync(survivor);
            return afterKill.Value("diststack_server_leader_changes_seen_total") > beforeKill.Value("diststack_server_leader_changes_seen_total") &&
                   afterKill.Value("diststack_raft_term") > beforeKill.Value("diststack_raft_term") &&
                   afterKill.Value("diststack_server_has_leader") == 1;
        }, Deadline);
        Assert.True(moved, $"after the leader kill, {survivor}: leader changes {beforeKill.Value("diststack_server_leader_changes_seen_total")} -> " +
                           $"{afterKill?.Value("diststack_server_leader_changes_seen_total")}, term {beforeKill.Value("diststack_raft_term")} -> {afterKill?.Value("diststack_raft_term")}");
        Assert.Equal(1, (await ScrapeAsync(newLeader)).Value("diststack_server_is_leader"));

        leader.Start();
        await Cluster.WaitForConvergenceAsync(TimeSpan.FromSeconds(60));
        _fixture.Failed = false;
    }

    [Fact]
    public async Task A_node_started_with_log_format_json_writes_one_json_object_per_line_with_raft_events_as_fields()
    {
        var node = Cluster.Node(ObservedCluster.JsonLoggingNode);
        var leader = await Cluster.WaitForLeaderAsync(Deadline);
        var term = (await Cluster.StatusAsync(node))?.Term;
        System.Text.Json.Nodes.JsonNode? known = null;
        var logged = await ProcessCluster.EventuallyAsync(() =>
        {
            // The harness writes its own "=====" lines into the file; everything the node wrote must be JSON.
            var lines = node.ReadLog().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("=====", StringComparison.Ordinal));
            var entries = lines.Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!).ToList();
            known = entries.LastOrDefault(e => (string?)e["Category"] == "DistStack.RaftEvents" && (string?)e["State"]?["RaftEvent"] == "LeaderKnown");
            return Task.FromResult(known is not null && (long?)known["State"]!["Term"] == term);
        }, Deadline);
        Assert.True(logged, $"no LeaderKnown Raft event for term {term} in {node.LogPath}; last: {known?.ToJsonString()}");
        Assert.Equal(leader.Id, (int)known!["State"]!["LeaderId"]!);
        Assert.Equal(node.Id, (int)known["State"]!["NodeId"]!);
        Assert.Equal("Information", (string?)known["LogLevel"]);
    }

    private static (long Term, long Commit, long Applied, long Last, long Snapshot) Indexes(ClusterStatusDocument s) =>
        (s.Term, s.CommitIndex, s.AppliedIndex, s.LastLogIndex, s.SnapshotIndex);
}
