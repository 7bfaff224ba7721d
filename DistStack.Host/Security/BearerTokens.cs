using System.Security.Cryptography;
using System.Text;

namespace DistStack.Host.Security;

/// <summary>
/// The tokens of --auth-tokens FILE: one <c>&lt;scope&gt; &lt;token&gt;</c> a line (scopes read, read-write, admin;
/// blank lines and # comments ignored). Only SHA-256 digests are kept; a presented token is compared with every one
/// of them in constant time, so neither the answer's timing nor its content says how close a guess was. Tokens are
/// never logged or echoed, not even in the file's error messages.
/// </summary>
public sealed class BearerTokens
{
    private const int MinimumTokenLength = 16;
    private readonly (AccessScope Scope, byte[] Digest)[] _tokens;

    private BearerTokens((AccessScope, byte[])[] tokens) => _tokens = tokens;

    public int Count => _tokens.Length;

    /// <summary>Throws <see cref="FormatException"/> naming the line (never the token) that is wrong.</summary>
    public static BearerTokens Parse(string text, string source)
    {
        var tokens = new List<(AccessScope, byte[])>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var where = $"{source} line {i + 1}";
            if (parts.Length != 2) throw new FormatException($"{where}: expected '<scope> <token>' (scope read, read-write or admin)");
            var scope = AccessScopes.Parse(parts[0]) ?? throw new FormatException($"{where}: unknown scope '{parts[0]}' (read, read-write or admin)");
            var token = parts[1];
            if (token.Length < MinimumTokenLength || token.Any(c => c is < '!' or > '~'))
                throw new FormatException($"{where}: a token must be at least {MinimumTokenLength} visible ASCII characters");
            if (!seen.Add(token)) throw new FormatException($"{where}: this token is already listed");
            tokens.Add((scope, Digest(token)));
        }
        if (tokens.Count == 0) throw new FormatException($"{source}: no tokens (every request would be refused)");
        return new BearerTokens([.. tokens]);
    }

    public static BearerTokens Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>The scope of <paramref name="presented"/>, or null if it is no configured token.</summary>
    public AccessScope? ScopeOf(string presented)
    {
        var digest = Digest(presented);
        AccessScope? found = null;
        // No early exit: every token is compared, whatever matched.
        foreach (var (scope, expected) in _tokens)
            if (CryptographicOperations.FixedTimeEquals(digest, expected)) found = scope;
        return found;
    }

    private static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
