namespace DistStack.Actors.Hosting;

/// <summary>
/// The cluster id every founder derives from the initial member list alone, with no coordination: a stable
/// 64-bit FNV-1a hash of the normalized "host:port" list in order. Stable across processes and .NET versions
/// (string.GetHashCode is randomized per process and would not do).
/// </summary>
public static class ClusterIdentity
{
    public static ulong FromMembers(IEnumerable<PeerEndpoint> members)
    {
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
        // 0 would read as "no cluster id" in logs; astronomically unlikely, but keep it impossible.
        return hash == 0 ? 1 : hash;
    }

    public static string Format(ulong clusterId) => clusterId.ToString("x16");
}
