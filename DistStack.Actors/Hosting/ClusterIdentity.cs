namespace DistStack.Actors.Hosting;

/// <summary>
/// The cluster id every founder derives from the initial member list and the cluster token, with no coordination: a
/// stable 64-bit FNV-1a hash of the normalized "host:port" list in order, then the token (etcd's
/// --initial-cluster-token). Stable across processes and .NET versions (string.GetHashCode is randomized per process
/// and would not do). Without a token the id is the one every earlier version computed, so existing data directories
/// keep their id; with one, two clusters on the same addresses (a restored copy, a rebuilt test cluster) get
/// different ids and drop each other's messages.
/// </summary>
public static class ClusterIdentity
{
    public static ulong FromMembers(IEnumerable<PeerEndpoint> members, string clusterToken = "")
    {
        ArgumentNullException.ThrowIfNull(clusterToken);
        const ulong offsetBasis = 14695981039346656037UL;
        const ulong prime = 1099511628211UL;
        var hash = offsetBasis;
        foreach (var member in members)
        {
            foreach (var b in System.Text.Encoding.UTF8.GetBytes(member.ToString().ToLowerInvariant() + "\n"))
            {
                hash ^= b;
                hash *= prime;
            }
        }
        if (clusterToken.Length > 0)
        {
            // "token=" cannot be the start of a member line ("host:port\n"), so no member list collides with a token.
            foreach (var b in System.Text.Encoding.UTF8.GetBytes("token=" + clusterToken + "\n"))
            {
                hash ^= b;
                hash *= prime;
            }
        }
        // 0 would read as "no cluster id" in logs; astronomically unlikely, but keep it impossible.
        return hash == 0 ? 1 : hash;
    }

    public static string Format(ulong clusterId) => clusterId.ToString("x16");
}
