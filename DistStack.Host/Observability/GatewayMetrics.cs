using System.Diagnostics;
using System.Diagnostics.Metrics;
using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Observability;
using DistStack.Actors.Stacks;

namespace DistStack.Host.Observability;

/// <summary>
/// What the HTTP gateway measures (Meter "DistStack.Gateway"): how long writes and linearizable reads take from
/// the gateway's side, and the writes that failed and why. It also tells the node's <see cref="NodeObservations"/>
/// about acknowledged writes (the first one of a term ends a failover on the timeline) and served reads (the
/// dashboard's rates). Requests by endpoint and status code are counted by prometheus-net's HTTP middleware.
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "DistStack.Gateway";

    private readonly Meter _meter = new(MeterName);
    private readonly Histogram<double> _writeSeconds;
    private readonly Histogram<double> _readSeconds;
    private readonly Counter<long> _proposalsFailed;
    private readonly Lazy<NodeObservations> _node;

    public GatewayMetrics(IServiceProvider services)
    {
        // Resolved on first use: the ActorSystem exists once the host has started, before any request arrives.
        _node = new Lazy<NodeObservations>(() => NodeObservations.For(services.GetRequiredService<ActorSystem>()));
        _writeSeconds = _meter.CreateHistogram<double>("diststack_server_write_duration_seconds",
            description: "A write from the gateway handing it to Raft to its answer (proposal, replication, commit, apply).");
        _readSeconds = _meter.CreateHistogram<double>("diststack_server_read_index_duration_seconds",
            description: "A linearizable read from the gateway handing it over to its answer (ReadIndex round, then the apply wait).");
        _proposalsFailed = _meter.CreateCounter<long>("diststack_server_proposals_failed_total",
            description: "Writes not acknowledged, by reason: not_started (503, nothing applied), outcome_unknown (504), request_keys_full (503).");
        // Every reason exists from the start at 0, so rate() sees the first failure.
        foreach (var reason in FailureReasons) _proposalsFailed.Add(0, new KeyValuePair<string, object?>("reason", reason));
    }

    private static readonly string[] FailureReasons = ["not_started", "outcome_unknown", "request_keys_full"];

    public long Start() => Stopwatch.GetTimestamp();

    public void WriteAnswered(long started, NodeReply reply)
    {
        _writeSeconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        switch (reply)
        {
            case Completed { Result.Outcome: StackOutcome.RequestKeysFull }:
                Failed("request_keys_full");
                break;
            case Completed:
                _node.Value.WriteAcknowledged();
                break;
            case NotStarted:
                Failed("not_started");
                break;
            case OutcomeUnknown:
                Failed("outcome_unknown");
                break;
        }
    }

    public void ReadAnswered(long started, NodeReply reply)
    {
        _readSeconds.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        if (reply is Completed) _node.Value.ReadServed();
    }

    private void Failed(string reason) => _proposalsFailed.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Dispose() => _meter.Dispose();
}
