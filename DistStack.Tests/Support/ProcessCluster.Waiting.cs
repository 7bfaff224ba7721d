using System.Diagnostics;
using DistStack.Host.Http;

namespace DistStack.Tests.Support;

public sealed partial class ProcessCluster
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Waits until one serving node says it leads and a majority of the whole cluster (itself included) names it
    /// leader in the same term. Returns that node. Times out with every node's status and log tail.
    /// </summary>
    public async Task<NodeProcess> WaitForLeaderAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        IReadOnlyDictionary<int, ClusterStatusDocument> statuses = new Dictionary<int, ClusterStatusDocument>();
        while (deadline.Elapsed < timeout)
        {
            statuses = await StatusesAsync(cancellationToken);
            if (AgreedLeader(statuses) is { } leaderId)
            {
                Log($"leader is node {leaderId} (term {statuses[leaderId].Term}) after {deadline.ElapsedMilliseconds} ms");
                return Node(leaderId);
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
        throw new TimeoutException($"no leader agreed by a majority within {timeout}.\n{Describe(statuses)}\n{DescribeLogs()}");
    }

    /// <summary>Like <see cref="WaitForLeaderAsync"/>, but the leader must not be <paramref name="notThisOne"/>.</summary>
    public async Task<NodeProcess> WaitForNewLeaderAsync(NodeProcess notThisOne, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var leader = await WaitForLeaderAsync(timeout - deadline.Elapsed, cancellationToken);
            if (leader != notThisOne) return leader;
            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    /// <summary>
    /// Waits until every serving node has applied the same index, with equal state digests, and that index is at
    /// least the leader's commit index: the replicas are identical.
    /// </summary>
    public async Task<IReadOnlyDictionary<int, ClusterStatusDocument>> WaitForConvergenceAsync(TimeSpan timeout,
        CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        IReadOnlyDictionary<int, ClusterStatusDocument> statuses = new Dictionary<int, ClusterStatusDocument>();
        while (deadline.Elapsed < timeout)
        {
            statuses = await StatusesAsync(cancellationToken);
            var serving = Serving.Count();
            if (statuses.Count == serving && serving > 0 && AgreedLeader(statuses) is { } leaderId)
            {
                var applied = statuses.Values.Select(s => s.AppliedIndex).Distinct().ToList();
                var digests = statuses.Values.Select(s => s.StateDigest).Distinct().ToList();
                if (applied.Count == 1 && digests.Count == 1 && applied[0] >= statuses[leaderId].CommitIndex)
                {
                    Log($"converged at applied index {applied[0]}, digest {digests[0]} on nodes {string.Join(",", statuses.Keys)}");
                    return statuses;
                }
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
        throw new TimeoutException($"nodes did not converge within {timeout}.\n{Describe(statuses)}\n{DescribeLogs()}");
    }

    /// <summary>Polls <paramref name="condition"/> until true; false if the deadline passes first.</summary>
    public static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (await condition()) return true;
            if (deadline.Elapsed >= timeout) return false;
            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    public static string Describe(IReadOnlyDictionary<int, ClusterStatusDocument> statuses) =>
        statuses.Count == 0
            ? "(no node answered /cluster/status)"
            : string.Join("\n", statuses.OrderBy(s => s.Key).Select(s =>
                $"node {s.Key}: {s.Value.Role} term {s.Value.Term} leader {s.Value.LeaderId?.ToString() ?? "?"} " +
                $"commit {s.Value.CommitIndex} applied {s.Value.AppliedIndex} last {s.Value.LastLogIndex} digest {s.Value.StateDigest}"));

    private int? AgreedLeader(IReadOnlyDictionary<int, ClusterStatusDocument> statuses)
    {
        var claimant = statuses.Values.Where(s => s.Role == "leader").MaxBy(s => s.Term);
        if (claimant is null) return null;
        var agreeing = statuses.Values.Count(s => s.Term == claimant.Term && s.LeaderId == claimant.NodeId);
        return agreeing > Nodes.Count / 2 ? claimant.NodeId : null;
    }
}
