using DistStack.Client;

namespace DistStack.Cli;

/// <summary>
/// What `watch` prints: one line per change of a node's availability, role, term or leader (commit and applied
/// indexes move all the time and would drown the changes). Pure: fed successive rounds of statuses.
/// </summary>
public sealed class StatusWatch
{
    private readonly Dictionary<Uri, string> _last = [];

    /// <summary>The lines for what changed since the previous round (every node's state on the first round).</summary>
    public IReadOnlyList<string> Next(IReadOnlyList<NodeStatusResult> round)
    {
        var lines = new List<string>();
        foreach (var result in round)
        {
            var now = result.Status is { } s
                ? $"node {s.NodeId} {s.Role}, term {s.Term}, leader {s.LeaderId?.ToString() ?? "unknown"}"
                : "down";
            if (_last.TryGetValue(result.Node, out var before) && before == now) continue;
            lines.Add(before is null ? $"{result.Node.Authority}: {now}" : $"{result.Node.Authority}: {now} (was {before})");
            _last[result.Node] = now;
        }
        return lines;
    }
}
