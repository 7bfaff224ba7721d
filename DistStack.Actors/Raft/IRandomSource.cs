namespace DistStack.Actors.Raft;

/// <summary>
/// The only randomness the core uses (randomized election timeouts). Injected, so a seeded source makes a run
/// replay exactly.
/// </summary>
public interface IRandomSource
{
    /// <summary>A value in [0, maxExclusive).</summary>
    int Next(int maxExclusive);
}

/// <summary>A seeded source for production and tests; one instance per core, never shared.</summary>
public sealed class SeededRandomSource(int seed) : IRandomSource
{
    private readonly System.Random _random = new(seed);
    public int Next(int maxExclusive) => _random.Next(maxExclusive);
}
