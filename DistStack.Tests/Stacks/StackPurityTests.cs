using System.Text.RegularExpressions;

namespace DistStack.Tests.Stacks;

/// <summary>
/// The stack state machine must stay a pure function of the log: anything that reads a clock, a random source,
/// the disk or the actor system would let replicas diverge. This scans its sources for such dependencies.
/// </summary>
public sealed class StackPurityTests
{
    private static readonly (string Pattern, string Why)[] Forbidden =
    [
        (@"\bAkka\b", "Akka (actors belong in the shell)"),
        (@"\bTask\b|\basync\b|\bawait\b|System\.Threading", "tasks or threads"),
        (@"\bDateTime(Offset)?\b|\bStopwatch\b|\bTimeProvider\b|Environment\.TickCount", "a clock"),
        (@"\bRandom\b|RandomNumberGenerator|Guid\.NewGuid", "randomness"),
        (@"System\.IO\b|\bFile\.|\bDirectory\.|\bConsole\.|System\.Net", "I/O"),
        (@"\.GetHashCode\s*\(", "string.GetHashCode is randomized per process"),
    ];

    [Fact]
    public void Stacks_sources_use_no_akka_task_clock_random_or_io()
    {
        var folder = Path.Combine(RepositoryRoot(), "DistStack.Actors", "Stacks");
        var files = Directory.GetFiles(folder, "*.cs");
        Assert.NotEmpty(files);
        var violations = new List<string>();
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var code = StripComment(lines[i]);
                foreach (var (pattern, why) in Forbidden)
                    if (Regex.IsMatch(code, pattern))
                        violations.Add($"{Path.GetFileName(file)}:{i + 1} uses {why}: {lines[i].Trim()}");
            }
        }
        Assert.True(violations.Count == 0, string.Join(Environment.NewLine, violations));
    }

    private static string StripComment(string line)
    {
        var trimmed = line.TrimStart();
        if (trimmed.StartsWith("//", StringComparison.Ordinal)) return "";
        var at = line.IndexOf("//", StringComparison.Ordinal);
        return at >= 0 ? line[..at] : line;
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DistStack.sln"))) return dir.FullName;
        throw new InvalidOperationException("DistStack.sln not found above " + AppContext.BaseDirectory);
    }
}
