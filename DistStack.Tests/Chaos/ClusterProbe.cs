using System.Text.Json;
using DistStack.Host.Http;

namespace DistStack.Tests.Chaos;

/// <summary>Reads GET /cluster/status of the nodes, quickly and never throwing.</summary>
public sealed class ClusterProbe(IChaosCluster cluster)
{
    public async Task<ClusterStatusDocument?> StatusAsync(IChaosNode node, TimeSpan? timeout = null)
    {
        if (!node.IsRunning || node.IsPaused)
        {
            return null;
        }

        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(1));
        try
        {
            using var response = await cluster.Http.GetAsync(new Uri(node.HttpUrl, "/cluster/status"), cts.Token);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var json = await response.Content.ReadAsStringAsync(cts.Token);
            return JsonSerializer.Deserialize(json, HostJsonContext.Default.ClusterStatusDocument);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException)
        {
            return null;
        }
    }

    public async Task<IReadOnlyDictionary<int, ClusterStatusDocument>> StatusesAsync(TimeSpan? timeout = null)
    {
        var statuses = await Task.WhenAll(cluster.Nodes.Select(n => StatusAsync(n, timeout)));
        return cluster.Nodes.Zip(statuses, (node, status) => (Node: node, Status: status)).Where(p => p.Status is not null).ToDictionary(p => p.Node.Id, p => p.Status!);
    }

    /// <summary>The node that says it leads in the highest term, if any answers so.</summary>
    public async Task<IChaosNode?> LeaderAsync()
    {
        // A loaded machine answers slowly: a few tries before calling it "no leader".
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var statuses = await StatusesAsync(TimeSpan.FromSeconds(2));
            var leader = statuses.Values.Where(s => s.Role == "leader").MaxBy(s => s.Term);
            if (leader is not null)
            {
                return cluster.Nodes.First(n => n.Id == leader.NodeId);
            }

            await Task.Delay(200);
        }

        return null;
    }

    public async Task<IChaosNode?> WaitForLeaderAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var statuses = await StatusesAsync();
            var claimant = statuses.Values.Where(s => s.Role == "leader").MaxBy(s => s.Term);
            if (claimant is not null &&
                statuses.Values.Count(s => s.Term == claimant.Term && s.LeaderId == claimant.NodeId) > cluster.Nodes.Count / 2)
            {
                return cluster.Nodes.First(n => n.Id == claimant.NodeId);
            }

            await Task.Delay(100);
        }

        return null;
    }

    /// <summary>
    /// Waits until every node answers with the same applied index and state digest, at or past the leader's
    /// commit index. Returns the last statuses seen and whether they converged.
    /// </summary>
    public async Task<(bool Converged, IReadOnlyDictionary<int, ClusterStatusDocument> Statuses)> WaitForConvergenceAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        IReadOnlyDictionary<int, ClusterStatusDocument> statuses = new Dictionary<int, ClusterStatusDocument>();
        while (DateTime.UtcNow < deadline)
        {
            statuses = await StatusesAsync(TimeSpan.FromSeconds(2));
            var leader = statuses.Values.Where(s => s.Role == "leader").MaxBy(s => s.Term);
            if (statuses.Count == cluster.Nodes.Count && leader is not null &&
                statuses.Values.Select(s => s.AppliedIndex).Distinct().Count() == 1 &&
                statuses.Values.Select(s => s.StateDigest).Distinct().Count() == 1 &&
                statuses.Values.First().AppliedIndex >= leader.CommitIndex)
            {
                return (true, statuses);
            }

            await Task.Delay(200);
        }

        return (false, statuses);
    }

    public static string Describe(IReadOnlyDictionary<int, ClusterStatusDocument> statuses) =>
        statuses.Count == 0
            ? "(no node answered /cluster/status)"
            : string.Join("\n", statuses.OrderBy(s => s.Key).Select(s =>
                $"node {s.Key}: {s.Value.Role} term {s.Value.Term} leader {s.Value.LeaderId?.ToString() ?? "?"} " +
                $"commit {s.Value.CommitIndex} applied {s.Value.AppliedIndex} last {s.Value.LastLogIndex} snapshot {s.Value.SnapshotIndex} digest {s.Value.StateDigest}" +
                (s.Value.Role == "leader"
                    ? "\n    leader's view: " + string.Join(", ", s.Value.Members.Select(m => $"n{m.Id} {(m.Reachable ? "reachable" : "UNREACHABLE")} match {m.MatchIndex?.ToString() ?? "?"}"))
                    : "")));
}
