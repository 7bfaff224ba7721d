using System.Text.RegularExpressions;

namespace DistStack.Tests.Simulation;

/// <summary>
/// The Raft core and the stack state machine are pure: no Akka, no tasks, no clocks, no randomness of their own,
/// no I/O, no threads. Only then does one seed replay one run. This scans their source files.
/// </summary>
public sealed partial class CorePurityTests
{
    private static readonly (string What, Regex Pattern)[] Forbidden =
    [
        ("Akka", new Regex(@"\bAkka\b")),
        ("System.Threading.Tasks / Task", new Regex(@"\bSystem\.Threading\.Tasks\b|\bTask\b|\bTask<|\bValueTask\b|\bTaskCompletionSource\b")),
        ("async/await", new Regex(@"\basync\s|\bawait\s")),
        ("DateTime / DateTimeOffset", new Regex(@"\bDateTime(Offset)?\b")),
        ("Stopwatch", new Regex(@"\bStopwatch\b")),
        ("TimeProvider", new Regex(@"\bTimeProvider\b")),
        ("Environment.TickCount", new Regex(@"\bEnvironment\.TickCount")),
        ("System.Random / Random.Shared", new Regex(@"\bSystem\.Random\b|\bRandom\.Shared\b|\bnew\s+Random\s*\(")),
        ("Guid.NewGuid", new Regex(@"\bGuid\.NewGuid\b")),
        ("timers / Parallel", new Regex(@"\bTimer\b|\bPeriodicTimer\b|\bParallel\.")),
        ("System.IO / File / Console", new Regex(@"\bSystem\.IO\b|\bFile\.|\bDirectory\.|\bConsole\.")),
        ("Thread", new Regex(@"\bSystem\.Threading\.Thread\b|\bThread\.|\bnew\s+Thread\s*\(")),
    ];

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DistStack.sln"))) return dir.FullName;
        throw new InvalidOperationException($"DistStack.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>Comments and string literals may name what the code must not use.</summary>
    private static string StripCommentsAndStrings(string source) =>
        CommentsAndStrings().Replace(source, m => m.Value.StartsWith("//") || m.Value.StartsWith("/*") ? "" : "\"\"");

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:""""|[^""])*""|""(?:\\.|[^""\\\n])*""", RegexOptions.Singleline)]
    private static partial Regex CommentsAndStrings();

    public static TheoryData<string> PureFolders => new() { Path.Combine("DistStack.Actors", "Raft"), Path.Combine("DistStack.Actors", "Stacks") };

    [Theory]
    [MemberData(nameof(PureFolders))]
    public void Pure_folders_use_no_actors_tasks_clocks_randomness_io_or_threads(string folder)
    {
        var directory = Path.Combine(RepositoryRoot(), folder);
        var files = Directory.GetFiles(directory, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .ToList();
        Assert.NotEmpty(files);

        var violations = new List<string>();
        foreach (var file in files)
        {
            var lines = StripCommentsAndStrings(File.ReadAllText(file)).Split('\n');
            var isRandomSourceFile = Path.GetFileName(file) == "IRandomSource.cs";
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (var (what, pattern) in Forbidden)
                {
                    if (!pattern.IsMatch(lines[i])) continue;
                    // The injected production implementation of IRandomSource is the one allowed System.Random.
                    if (isRandomSourceFile && what.StartsWith("System.Random") && InsideSeededRandomSource(lines, i)) continue;
                    violations.Add($"{Path.GetRelativePath(RepositoryRoot(), file)}:{i + 1}: {what}: {lines[i].Trim()}");
                }
            }
        }
        Assert.True(violations.Count == 0, "Impure code in the pure core:\n" + string.Join("\n", violations));
    }

    private static bool InsideSeededRandomSource(string[] lines, int line)
    {
        for (var i = line; i >= 0; i--)
        {
            if (Regex.IsMatch(lines[i], @"\bclass\s+SeededRandomSource\b")) return true;
            if (Regex.IsMatch(lines[i], @"\b(class|interface|record|struct)\s+\w+")) return false;
        }
        return false;
    }

    [Fact]
    public void The_scanner_catches_what_it_must()
    {
        var bad = "using Akka.Actor;\nclass X { async Task F() { await Task.Delay(1); var t = DateTime.UtcNow; var r = new Random(); Console.WriteLine(); } }";
        var stripped = StripCommentsAndStrings(bad);
        foreach (var what in new[] { "Akka", "System.Threading.Tasks / Task", "async/await", "DateTime / DateTimeOffset", "System.Random / Random.Shared", "System.IO / File / Console" })
            Assert.Contains(Forbidden, f => f.What == what && f.Pattern.IsMatch(stripped));
        Assert.DoesNotContain(Forbidden, f => f.Pattern.IsMatch(StripCommentsAndStrings("// no Task or DateTime here\nvar s = \"Akka\";")));
    }
}
