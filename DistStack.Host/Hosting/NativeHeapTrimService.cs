namespace DistStack.Host.Hosting;

/// <summary>
/// Every few seconds, returns the native heap's free memory to the kernel (<see cref="NativeHeapLimits.Trim"/>), so
/// that what one burst of native allocations freed does not sit resident under the next.
/// </summary>
internal sealed class NativeHeapTrimService : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!NativeHeapLimits.OnGlibc) return;
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) NativeHeapLimits.Trim();
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
