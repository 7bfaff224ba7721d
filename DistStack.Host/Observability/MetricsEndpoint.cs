using DistStack.Actors.Observability;
using Prometheus;

namespace DistStack.Host.Observability;

/// <summary>
/// GET /metrics in the Prometheus text format, by prometheus-net (stable; OpenTelemetry's Prometheus exporter
/// is prerelease only). It exports our BCL Meters (DistStack.Node, DistStack.Gateway) under their own names
/// (<see cref="PrometheusMeterBridge"/>), the .NET runtime's meter (GC, heap, thread pool: system_runtime_*, by
/// prometheus-net's MeterAdapter) and prometheus-net's process and dotnet_* metrics; its HTTP middleware counts
/// requests by endpoint and status code with their durations. ASP.NET Core's own meters are left out: the
/// middleware already says the same in Prometheus' usual names.
/// </summary>
public static class MetricsEndpoint
{
    private static readonly double[] SecondsBuckets =
        [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096, 8.192];

    private static readonly double[] EntriesBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

    private static readonly double[] BytesBuckets =
        [1 << 10, 1 << 14, 1 << 17, 1 << 20, 1 << 22, 1 << 24, 1 << 26, 1 << 28, 1 << 30];

    private static int _configured;
    private static PrometheusMeterBridge? _bridge;

    /// <summary>Once per process, before the first scrape: which meters to export and the histograms' buckets.</summary>
    public static void Configure()
    {
        if (Interlocked.Exchange(ref _configured, 1) == 1) return;
        Metrics.ConfigureMeterAdapter(adapter => adapter.InstrumentFilterPredicate = instrument => instrument.Meter.Name == "System.Runtime");
        _bridge = new PrometheusMeterBridge(Metrics.DefaultRegistry,
            new HashSet<string> { NodeMetrics.MeterName, GatewayMetrics.MeterName }, BucketsFor);
    }

    private static double[] BucketsFor(System.Diagnostics.Metrics.Instrument instrument) =>
        instrument.Name.EndsWith("_seconds", StringComparison.Ordinal) ? SecondsBuckets
        : instrument.Name.EndsWith("_bytes", StringComparison.Ordinal) ? BytesBuckets
        : EntriesBuckets;

    public static WebApplication UseMetricsCollection(this WebApplication app)
    {
        Configure();
        app.UseRouting();
        // After routing, so requests are labelled with their endpoint's route, not the raw path (bounded labels).
        app.UseHttpMetrics();
        app.MapMetrics("/metrics");
        return app;
    }
}
