using System.Diagnostics;

namespace DistStack.Host.Hosting;

/// <summary>
/// For test harnesses: when <c>DISTSTACK_PARENT_PID</c> is set, the node stops once that process is gone, so a
/// crashed test run does not leave nodes holding ports forever.
/// </summary>
public sealed class ParentProcessWatch(IHostApplicationLifetime lifetime, ILogger<ParentProcessWatch> log) : BackgroundService
{
    public const string EnvironmentVariable = "DISTSTACK_PARENT_PID";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!int.TryParse(Environment.GetEnvironmentVariable(EnvironmentVariable), out var parentPid)) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            if (IsAlive(parentPid)) continue;
            log.LogWarning("Parent process {Pid} is gone; stopping", parentPid);
            lifetime.StopApplication();
            return;
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
