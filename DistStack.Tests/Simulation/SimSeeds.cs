namespace DistStack.Tests.Simulation;

/// <summary>
/// Which seeds a randomized test runs: DISTSTACK_SIM_SEED=S replays exactly one run, DISTSTACK_SIM_SEEDS=N runs
/// seeds 1..N (default <see cref="DefaultCount"/>; DISTSTACK_SIM_FIRST_SEED=F starts at F instead), DISTSTACK_SIM_STEPS=K
/// changes the steps per run, DISTSTACK_SIM_THREADS=T the parallelism (default: all cores).
/// </summary>
internal static class SimSeeds
{
    public const int DefaultCount = 1000;
    public const int DefaultSteps = 4000;

    public static IReadOnlyList<int> Resolve(int defaultCount = DefaultCount, int firstSeed = 1)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("DISTSTACK_SIM_SEED"), out var one)) return [one];
        var count = int.TryParse(Environment.GetEnvironmentVariable("DISTSTACK_SIM_SEEDS"), out var n) && n > 0 ? n : defaultCount;
        if (int.TryParse(Environment.GetEnvironmentVariable("DISTSTACK_SIM_FIRST_SEED"), out var first)) firstSeed = first;
        return [.. Enumerable.Range(firstSeed, count)];
    }

    public static int Steps =>
        int.TryParse(Environment.GetEnvironmentVariable("DISTSTACK_SIM_STEPS"), out var steps) && steps > 0 ? steps : DefaultSteps;

    public static int Threads =>
        int.TryParse(Environment.GetEnvironmentVariable("DISTSTACK_SIM_THREADS"), out var threads) && threads > 0 ? threads : Environment.ProcessorCount;

    /// <summary>Fails naming every failing seed, in order, with the first three failures in full.</summary>
    public static void AssertNoneFailed(IEnumerable<(int Seed, string Message)> failures, int seedCount)
    {
        var ordered = failures.OrderBy(f => f.Seed).ToList();
        if (ordered.Count == 0) return;
        Assert.Fail($"{ordered.Count} of {seedCount} seeds failed: {string.Join(", ", ordered.Select(f => f.Seed))}\n\n" +
                    string.Join("\n\n", ordered.Take(3).Select(f => f.Message)));
    }

    public static string ReplayHint(int seed, string testName) =>
        $"DISTSTACK_SIM_SEED={seed} dotnet test --filter \"FullyQualifiedName~Simulation.{testName}\"";
}
