namespace DistStack.Host.Security;

/// <summary>What a bearer token allows; each scope includes the ones below it.</summary>
public enum AccessScope
{
    /// <summary>No token needed (health checks, and paths configured open).</summary>
    None = 0,
    /// <summary>Reads: GET/HEAD anywhere, and the seed's read endpoints (sId, sTop, sSize).</summary>
    Read = 1,
    /// <summary>Everything a client does: reads and writes.</summary>
    ReadWrite = 2,
    /// <summary>Changes to the cluster itself (membership, backup): any non-GET under /cluster/.</summary>
    Admin = 3,
}

public static class AccessScopes
{
    public static string Name(AccessScope scope) => scope switch
    {
        AccessScope.Read => "read",
        AccessScope.ReadWrite => "read-write",
        AccessScope.Admin => "admin",
        _ => "none",
    };

    public static AccessScope? Parse(string text) => text switch
    {
        "read" => AccessScope.Read,
        "read-write" => AccessScope.ReadWrite,
        "admin" => AccessScope.Admin,
        _ => null,
    };
}
