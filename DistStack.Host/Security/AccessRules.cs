namespace DistStack.Host.Security;

/// <summary>
/// Which scope a request needs, from its method and path alone, so endpoints added later fall under the same rules
/// without being listed: /health* is always open, the configured open paths too; a non-GET under /cluster/ is admin,
/// and so is /cluster/snapshot (a backup); raftexample's membership changes (POST or DELETE /{id}) are admin too;
/// GET and HEAD are reads, and so are the seed's POST reads (sId, sTop, sSize); everything else is a write.
/// </summary>
public sealed class AccessRules(IReadOnlyList<string> openPaths)
{
    private static readonly HashSet<string> SeedReadPaths = new(StringComparer.OrdinalIgnoreCase) { "/sId", "/sTop", "/sSize" };

    public AccessScope Required(string method, string path)
    {
        if (IsUnder(path, "/health")) return AccessScope.None;
        foreach (var open in openPaths)
            if (open == "/" ? path == "/" : IsUnder(path, open)) return AccessScope.None;
        // A backup is a read, but of everything at once: whoever holds it holds every stack.
        if (IsUnder(path, "/cluster/snapshot")) return AccessScope.Admin;
        var isRead = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
        if ((IsUnder(path, "/cluster") || IsNodeIdPath(path)) && !isRead) return AccessScope.Admin;
        if (isRead || (HttpMethods.IsPost(method) && SeedReadPaths.Contains(path.TrimEnd('/')))) return AccessScope.Read;
        return AccessScope.ReadWrite;
    }

    /// <summary>"/4", raftexample's member paths (any all-digit segment, so a malformed id needs admin too).</summary>
    private static bool IsNodeIdPath(string path)
    {
        var segment = path.TrimEnd('/');
        if (segment.Length < 2 || segment[0] != '/') return false;
        var digits = segment.AsSpan(segment[1] == '-' ? 2 : 1);
        return digits.Length > 0 && !digits.ContainsAnyExceptInRange('0', '9');
    }

    /// <summary>The path itself or anything below it ("/health", "/health/ready"; not "/healthy").</summary>
    private static bool IsUnder(string path, string prefix)
    {
        var trimmed = prefix.TrimEnd('/');
        return path.Equals(trimmed, StringComparison.OrdinalIgnoreCase) ||
               path.StartsWith(trimmed + "/", StringComparison.OrdinalIgnoreCase);
    }
}
