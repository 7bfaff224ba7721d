using System.Diagnostics;

namespace DistStack.Tests.Chaos;

/// <summary>
/// The run's one monotonic clock, in microseconds since the run started: history invocations/completions and
/// fault events are all stamped with it, so "ops that completed before others were invoked" is meaningful.
/// </summary>
public sealed class ChaosClock
{
    private readonly long _start = Stopwatch.GetTimestamp();

    public DateTime StartedUtc { get; } = DateTime.UtcNow;

    public long NowMicros => (Stopwatch.GetTimestamp() - _start) * 1_000_000 / Stopwatch.Frequency;

    public static string Format(long micros) => $"{micros / 1_000_000.0:F3}s";
}
