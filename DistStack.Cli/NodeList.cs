namespace DistStack.Cli;

/// <summary>
/// Which nodes the CLI talks to: --nodes (comma-separated, repeatable), else DISTSTACK_NODES, else the Procfile's
/// five nodes on 127.0.0.1 (HTTP ports 12380 … 52380), so it works as is next to scripts/run-cluster.sh.
/// </summary>
public static class NodeList
{
    public const string EnvironmentVariable = "DISTSTACK_NODES";

    public static readonly IReadOnlyList<string> ProcfileNodes =
        [.. Enumerable.Range(1, 5).Select(i => $"http://127.0.0.1:{i}2380")];

    public static IReadOnlyList<Uri> Resolve(IReadOnlyList<string>? fromOption, Func<string, string?> environment)
    {
        IEnumerable<string> given = fromOption is { Count: > 0 } ? fromOption
            : environment(EnvironmentVariable) is { Length: > 0 } fromEnvironment ? [fromEnvironment]
            : ProcfileNodes;
        var nodes = new List<Uri>();
        foreach (var part in given.SelectMany(g => g.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var text = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw new ArgumentException($"'{part}' is not a node URL (e.g. http://127.0.0.1:12380)");
            nodes.Add(uri);
        }
        return nodes.Count > 0 ? nodes : throw new ArgumentException("no node URLs given");
    }
}
