namespace DistStack.Tests.Support;

/// <summary>
/// Where the PostgreSQL server programs are: DISTSTACK_POSTGRES_BIN if set, else the newest Debian/Ubuntu
/// installation (/usr/lib/postgresql/&lt;major&gt;/bin, which is not on PATH), else initdb and pg_ctl on PATH.
/// </summary>
public sealed record PostgresBinaries(string BinDirectory, string Version)
{
    public string InitDb => Path.Combine(BinDirectory, "initdb");
    public string PgCtl => Path.Combine(BinDirectory, "pg_ctl");

    /// <summary>Set to 1 (CI does, in .ci/run) to make the PostgreSQL tests fail rather than skip when no server is installed.</summary>
    public const string RequiredVariable = "DISTSTACK_REQUIRE_POSTGRES";

    public static bool Required => Environment.GetEnvironmentVariable(RequiredVariable) == "1";

    public const string NotFoundReason =
        "PostgreSQL server binaries (initdb, pg_ctl) not found in DISTSTACK_POSTGRES_BIN, /usr/lib/postgresql/*/bin or PATH: " +
        "install them (Debian: apt-get install postgresql; .ci/run does) to run the PostgreSQL tests.";

    private static readonly Lazy<PostgresBinaries?> Found = new(Search);

    public static PostgresBinaries? Find() => Found.Value;

    private static PostgresBinaries? Search()
    {
        var configured = Environment.GetEnvironmentVariable("DISTSTACK_POSTGRES_BIN");
        if (!string.IsNullOrEmpty(configured)) return Complete(configured, Path.GetFileName(Path.GetDirectoryName(configured.TrimEnd('/'))) ?? "?");

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(dir => (Dir: dir, Major: int.TryParse(Path.GetFileName(dir), out var major) ? major : -1))
                .Where(v => v.Major >= 0)
                .OrderByDescending(v => v.Major)
                .Select(v => Complete(Path.Combine(v.Dir, "bin"), v.Major.ToString()))
                .FirstOrDefault(b => b is not null);
            if (newest is not null) return newest;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (Complete(dir, "on PATH") is { } onPath) return onPath;
        }
        return null;
    }

    private static PostgresBinaries? Complete(string dir, string version) =>
        File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")) && File.Exists(Path.Combine(dir, "postgres"))
            ? new PostgresBinaries(dir, version)
            : null;
}
