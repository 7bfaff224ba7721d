using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace DistStack.Host.Observability;

/// <summary>
/// Publishes our BCL Meters (DistStack.Node, DistStack.Gateway) through prometheus-net under their own names and
/// Prometheus types: a Counter as a counter, a Histogram as a histogram with our buckets, an observable gauge as a
/// gauge read at each scrape. prometheus-net's own MeterAdapter prefixes every name with the meter's and exports
/// counters as gauges (it cannot know a .NET counter will not be re-created), which breaks the conventions
/// (etcd-like names, rate() over a _total counter) that operators alert on; it still exports the runtime's meter.
/// Label names come from an instrument's first measurement; every measurement of one instrument carries the same tags.
/// </summary>
public sealed class PrometheusMeterBridge : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly IMetricFactory _factory;
    private readonly Func<Instrument, double[]> _buckets;
    private readonly ConcurrentDictionary<Instrument, Collector> _collectors = new();
    private readonly object _gaugeLock = new();
    private readonly Dictionary<Gauge, HashSet<string>> _gaugeChildrenSeen = [];
    private bool _disposed;

    public PrometheusMeterBridge(CollectorRegistry registry, IReadOnlySet<string> meterNames, Func<Instrument, double[]> buckets)
    {
        _factory = Metrics.WithCustomRegistry(registry);
        _buckets = buckets;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (meterNames.Contains(instrument.Meter.Name)) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
        registry.AddBeforeCollectCallback(ReadObservableInstruments);
    }

    private void ReadObservableInstruments()
    {
        if (_disposed) return;
        lock (_gaugeLock)
        {
            foreach (var seen in _gaugeChildrenSeen.Values) seen.Clear();
            _listener.RecordObservableInstruments();
            // A labelled gauge child not reported in this round is gone (e.g. follower lag after losing leadership).
            foreach (var (gauge, seen) in _gaugeChildrenSeen)
                foreach (var labels in gauge.GetAllLabelValues().ToList())
                    if (!seen.Contains(string.Join('\u0001', labels)))
                        gauge.RemoveLabelled(labels);
        }
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labelValues = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++) labelValues[i] = tags[i].Value?.ToString() ?? "";
        if (!_collectors.TryGetValue(instrument, out var collector))
            collector = _collectors.GetOrAdd(instrument, Create(instrument, LabelNames(tags)));
        switch (collector)
        {
            case Counter counter when instrument.IsObservable:
                counter.WithLabels(labelValues).IncTo(value);
                break;
            case Counter counter:
                counter.WithLabels(labelValues).Inc(value);
                break;
            case Histogram histogram:
                histogram.WithLabels(labelValues).Observe(value);
                break;
            case Gauge gauge:
                gauge.WithLabels(labelValues).Set(value);
                if (labelValues.Length > 0)
                {
                    lock (_gaugeLock)
                    {
                        if (!_gaugeChildrenSeen.TryGetValue(gauge, out var seen)) _gaugeChildrenSeen[gauge] = seen = [];
                        seen.Add(string.Join('\u0001', labelValues));
                    }
                }
                break;
        }
    }

    private static string[] LabelNames(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var names = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++) names[i] = tags[i].Key;
        return names;
    }

    private Collector Create(Instrument instrument, string[] labelNames)
    {
        var help = instrument.Description ?? instrument.Name;
        var type = instrument.GetType().GetGenericTypeDefinition();
        if (type == typeof(Counter<>) || type == typeof(ObservableCounter<>))
            return _factory.CreateCounter(instrument.Name, help, labelNames);
        if (type == typeof(Histogram<>))
            return _factory.CreateHistogram(instrument.Name, help, labelNames, new HistogramConfiguration { Buckets = _buckets(instrument) });
        return _factory.CreateGauge(instrument.Name, help, labelNames);
    }

    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
    }
}
