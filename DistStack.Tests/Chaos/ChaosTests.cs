using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Chaos;

/// <summary>
/// The CI profile of the chaos runner: ~75 s of faults against five real processes (partitions too when the
/// runner is root with ip/iptables; at least one membership fault, e.g. a node replaced with an empty disk). The long profile is scripts/chaos.sh, which runs this same test with
/// DISTSTACK_CHAOS_SECONDS / DISTSTACK_CHAOS_SEED / DISTSTACK_CHAOS_DIR set.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ChaosTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Under_kills_pauses_and_partitions_the_history_stays_linearizable_and_no_acknowledged_push_is_lost()
    {
        var options = new ChaosOptions
        {
            Seed = Random.Shared.Next(1, 1_000_000),
            FaultDuration = TimeSpan.FromSeconds(75),
            RunDirectory = Path.Combine(Path.GetTempPath(), "diststack-chaos-runs", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}"),
            Log = Safe(output),
        }.WithEnvironment();
        if (Environment.GetEnvironmentVariable("DISTSTACK_CHAOS_DIR") is null)
        {
            options = options with { RunDirectory = options.RunDirectory + $"-seed{options.Seed}" };
        }

        var report = await new ChaosRunner(options).RunAsync();

        Assert.True(report.Passed, $"chaos run with seed {options.Seed} failed; files in {report.RunDirectory}\n{report.Text}");
    }

    private static Action<string> Safe(ITestOutputHelper output) => line =>
    {
        try
        {
            output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // a late line after the test finished
        }
    };
}
