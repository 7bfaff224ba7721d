using System.Collections;
using DistStack.Actors.Observability;

namespace DistStack.Host.Observability;

/// <summary>
/// Writes every event of the node's timeline (leader change, term, vote, snapshot, unreachable peer, ...) to the
/// log as one entry whose fields are separate properties: with --log-format json they appear under "State"
/// (RaftEvent, NodeId, Term, LeaderId, PeerId, ...), so a log collector can filter on them; the text format prints
/// the one-line description.
/// </summary>
public static class RaftEventLog
{
    public const string Category = "DistStack.RaftEvents";

    private static readonly EventId RaftEventId = new(1500, "RaftEvent");

    public static void Attach(NodeObservations observations, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(Category);
        observations.EventRecorded += e =>
        {
            var level = e.Kind is NodeEventKind.LeaderLost or NodeEventKind.PeerLost ? LogLevel.Warning : LogLevel.Information;
            if (logger.IsEnabled(level)) logger.Log(level, RaftEventId, new Fields(e), null, static (f, _) => f.Event.Describe());
        };
    }

    /// <summary>The event as the logging state: a list of name/value pairs, which structured formatters write out field by field.</summary>
    private sealed class Fields(NodeEvent e) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly KeyValuePair<string, object?>[] _pairs = Build(e);

        public NodeEvent Event { get; } = e;

        private static KeyValuePair<string, object?>[] Build(NodeEvent e)
        {
            var pairs = new List<KeyValuePair<string, object?>>
            {
                new("RaftEvent", e.Kind.ToString()),
                new("NodeId", e.NodeId),
                new("Term", e.Term),
            };
            void Add(string name, object? value)
            {
                if (value is not null) pairs.Add(new(name, value));
            }
            Add("Role", e.Role);
            Add("LeaderId", e.LeaderId);
            Add("PeerId", e.PeerId);
            Add("Index", e.Index);
            Add("LastHeardAtMs", e.LastHeardAtMs);
            Add("DurationMs", e.DurationMs);
            Add("Bytes", e.Bytes);
            pairs.Add(new("AtMs", e.AtMs));
            pairs.Add(new("{OriginalFormat}", e.Describe()));
            return [.. pairs];
        }

        public KeyValuePair<string, object?> this[int index] => _pairs[index];

        public int Count => _pairs.Length;

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)_pairs).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Event.Describe();
    }
}
