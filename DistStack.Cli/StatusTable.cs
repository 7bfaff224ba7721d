using DistStack.Client;

namespace DistStack.Cli;

/// <summary>
/// The tables `status` and `members` print. Lag is how many committed entries a node has yet to apply, measured
/// against the highest commit index any node reports (the leader's, when it answers).
/// </summary>
public static class StatusTable
{
    public static string Status(IReadOnlyList<NodeStatusResult> results)
    {
        var commit = results.Where(r => r.Status is not null).Select(r => r.Status!.CommitIndex).DefaultIfEmpty(0).Max();
        var rows = new List<string[]> { new[] { "NODE", "ID", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "DIGEST", "LAG" } };
        foreach (var r in results)
        {
            rows.Add(r.Status is { } s
                ? [r.Node.Authority, s.NodeId.ToString(), s.Role, s.Term.ToString(), s.LeaderId?.ToString() ?? "-",
                    s.CommitIndex.ToString(), s.AppliedIndex.ToString(), s.StateDigest, Math.Max(0, commit - s.AppliedIndex).ToString()]
                : [r.Node.Authority, "-", "down", "-", "-", "-", "-", "-", "-"]);
        }
        return Format(rows) + string.Concat(results.Where(r => r.Error is not null).Select(r => $"{r.Node.Authority}: {r.Error}\n"));
    }

    public static string Members(ClusterStatus leaderView)
    {
        var rows = new List<string[]> { new[] { "ID", "ADDRESS", "REACHABLE", "MATCH", "LAST HEARD" } };
        foreach (var m in leaderView.Members.OrderBy(m => m.Id))
            rows.Add([m.Id.ToString(), m.Address, m.Reachable ? "yes" : "no", m.MatchIndex?.ToString() ?? "-",
                m.LastHeardMs is { } ms ? $"{ms} ms" : "never"]);
        return $"as seen by node {leaderView.NodeId} ({leaderView.Role}, term {leaderView.Term})\n" + Format(rows);
    }

    private static string Format(List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        return string.Concat(rows.Select(r => string.Join("  ", r.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd() + "\n"));
    }
}
