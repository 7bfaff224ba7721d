using System.Text;
using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

internal enum TraceKind : byte
{
    Note,
    Send,
    Deliver,
    Drop,
    Tick,
    TakeReady,
    Durable,
    Apply,
    Crash,
    Restart,
    Propose,
    ReadIndex,
    ReadServed,
    Transfer,
    Compact,
}

/// <summary>
/// The last few hundred things that happened, kept as references and formatted only when a run fails, so tracing
/// costs no string building per step.
/// </summary>
internal sealed class SimTrace(int capacity = 400)
{
    private readonly record struct Record(long Step, long Time, TraceKind Kind, int Node, object? Detail, long A, long B);

    private readonly Record[] _ring = new Record[capacity];
    private long _count;

    public void Add(long step, long time, TraceKind kind, int node, object? detail = null, long a = 0, long b = 0) =>
        _ring[_count++ % _ring.Length] = new Record(step, time, kind, node, detail, a, b);

    public string Tail(int lines)
    {
        var sb = new StringBuilder();
        var n = (int)Math.Min(Math.Min(lines, _ring.Length), _count);
        for (var k = _count - n; k < _count; k++)
        {
            var r = _ring[k % _ring.Length];
            sb.Append("  [step ").Append(r.Step).Append(" t=").Append(r.Time).Append("] n").Append(r.Node).Append(' ')
              .Append(Format(r)).Append('\n');
        }
        return sb.ToString();
    }

    private static string Format(Record r) => r.Kind switch
    {
        TraceKind.Send => "send " + Describe(r.Detail as RaftMessage) + (r.A == 1 ? " (after durable)" : ""),
        TraceKind.Deliver => "recv " + Describe(r.Detail as RaftMessage),
        TraceKind.Drop => "dropped " + Describe(r.Detail as RaftMessage) + " (" + DropReason(r.A) + ")",
        TraceKind.Tick => "tick",
        TraceKind.TakeReady => "ready " + Describe(r.Detail as Ready),
        TraceKind.Durable => r.A == 1 ? "write durable; after-durable sends, apply, advance" : "(nothing to persist) apply, advance",
        TraceKind.Apply => $"apply {r.A}..{r.B}",
        TraceKind.Crash => "CRASH",
        TraceKind.Restart => "RESTART " + r.Detail,
        TraceKind.Propose => $"propose cmd {r.A} -> {r.Detail}",
        TraceKind.ReadIndex => $"readindex req {r.A}",
        TraceKind.ReadServed => $"read served req {r.A} at index {r.B}: {r.Detail}",
        TraceKind.Transfer => $"transfer leadership to n{r.A}",
        TraceKind.Compact => $"compact at {r.A} (term {r.B})",
        _ => r.Detail?.ToString() ?? "",
    };

    private static string DropReason(long reason) => reason switch { 1 => "loss", 2 => "partition", 3 => "node down", _ => "?" };

    public static string Describe(RaftMessage? m) => m switch
    {
        null => "?",
        RequestVote v => $"{(v.PreVote ? "PreVote" : "RequestVote")} {v.From}->{v.To} t{v.Term} last {v.LastLogIndex}/{v.LastLogTerm}{(v.LeadershipTransfer ? " transfer" : "")}",
        RequestVoteResponse v => $"{(v.PreVote ? "PreVoteResp" : "VoteResp")} {v.From}->{v.To} t{v.Term} {(v.Granted ? "granted" : "rejected")}",
        AppendEntries a => $"App {a.From}->{a.To} t{a.Term} prev {a.PrevLogIndex}/{a.PrevLogTerm} entries {(a.Entries.Count == 0 ? "-" : $"{a.Entries[0].Index}..{a.Entries[^1].Index}")} commit {a.LeaderCommit}",
        AppendEntriesResponse a => $"AppResp {a.From}->{a.To} t{a.Term} {(a.Success ? "ok" : "REJECT")} match {a.MatchIndex} conflict {a.ConflictIndex}/{a.ConflictTerm}",
        Heartbeat h => $"Heartbeat {h.From}->{h.To} t{h.Term} commit {h.Commit} ctx {h.ReadContext}",
        HeartbeatResponse h => $"HeartbeatResp {h.From}->{h.To} t{h.Term} ctx {h.ReadContext}",
        InstallSnapshot s => $"Snap {s.From}->{s.To} t{s.Term} at {s.Metadata.LastIncludedIndex}/{s.Metadata.LastIncludedTerm} off {s.Offset} len {s.Chunk.Length}{(s.Done ? " done" : "")}",
        InstallSnapshotResponse s => $"SnapResp {s.From}->{s.To} t{s.Term} at {s.LastIncludedIndex} next {s.NextOffset}{(s.Done ? " done" : "")}",
        TimeoutNow t => $"TimeoutNow {t.From}->{t.To} t{t.Term}",
        ReadIndexRequest r => $"ReadIndexReq {r.From}->{r.To} t{r.Term} id {r.RequestId}",
        ReadIndexResponse r => $"ReadIndexResp {r.From}->{r.To} t{r.Term} id {r.RequestId} index {r.ReadIndex} {r.Rejected}",
        _ => m.ToString(),
    };

    public static string Describe(Ready? r)
    {
        if (r is null) return "?";
        var sb = new StringBuilder();
        if (r.SoftState is { } s) sb.Append($"soft {s.Role} t{s.Term} leader {s.LeaderId?.ToString() ?? "-"}; ");
        if (r.HardState is { } h) sb.Append($"hard t{h.Term} vote {h.VotedFor}; ");
        if (r.Snapshot is { } sn) sb.Append($"snapshot {sn.Metadata.LastIncludedIndex}/{sn.Metadata.LastIncludedTerm}; ");
        if (r.Entries.Count > 0) sb.Append($"entries {r.Entries[0].Index}..{r.Entries[^1].Index} (terms {r.Entries[0].Term}..{r.Entries[^1].Term}); ");
        if (r.CommittedEntries.Count > 0) sb.Append($"committed {r.CommittedEntries[0].Index}..{r.CommittedEntries[^1].Index}; ");
        if (r.Messages.Count > 0) sb.Append($"{r.Messages.Count} msgs; ");
        if (r.MessagesAfterDurable.Count > 0) sb.Append($"{r.MessagesAfterDurable.Count} msgs after durable; ");
        if (r.ReadStates.Count > 0) sb.Append($"reads {string.Join(",", r.ReadStates.Select(x => $"{x.RequestId}@{x.ReadIndex}{(x.Rejected is null ? "" : ":" + x.Rejected)}"))}; ");
        return sb.ToString();
    }
}

/// <summary>A broken invariant (or a core exception) in a simulated run: carries the seed, the step and a trace tail.</summary>
public sealed class SimulationViolation(string message, Exception? inner = null) : Exception(message, inner);
