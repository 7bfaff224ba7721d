using System.Text.Json.Serialization;
using DistStack.Actors.Hosting;
using DistStack.Actors.Observability;
using DistStack.Host.Http;

namespace DistStack.Host.Observability;

/// <summary>
/// The JSON of GET /cluster/overview (camelCase): every member as it describes itself (its /cluster/status
/// document, how old that is, its request totals) or why it did not answer, and the events of every member
/// that answered, merged and ordered by time. Times are Unix milliseconds of the member that recorded them.
/// </summary>
public sealed record ClusterOverviewDocument(
    int ServedBy,
    long GeneratedAtMs,
    IReadOnlyList<OverviewMemberDocument> Members,
    IReadOnlyList<OverviewEventDocument> Events)
{
    public sealed record MemberAnswer(PeerEndpoint Member, NodeOverview? Overview, string? Error, long RoundTripMs);

    public static ClusterOverviewDocument From(int servedBy, long nowMs, IReadOnlyList<MemberAnswer> answers) => new(
        servedBy,
        nowMs,
        [.. answers.OrderBy(a => a.Member.NodeId).Select(a => new OverviewMemberDocument(
            a.Member.NodeId,
            a.Member.ToString(),
            Answered: a.Overview is not null,
            a.Error,
            a.RoundTripMs,
            a.Overview?.Status is { } status ? ClusterStatusDocument.From(status) : null,
            a.Overview is { Status: not null } o ? Math.Max(0, o.AnsweredAtMs - o.StatusAtMs) : null,
            a.Overview?.WritesAcknowledged,
            a.Overview?.ReadsServed))],
        [.. answers.Where(a => a.Overview is not null).SelectMany(a => a.Overview!.Events)
            .OrderBy(e => e.AtMs).ThenBy(e => e.NodeId).ThenBy(e => e.Sequence)
            .Select(OverviewEventDocument.From)]);
}

/// <summary>
/// One member in the overview. <paramref name="StatusAgeMs"/>: how long before its answer its Raft actor last
/// reported (a few tens of ms; more means the actor is stuck or restarting). Null fields: it did not answer.
/// </summary>
public sealed record OverviewMemberDocument(
    int Id,
    string Address,
    bool Answered,
    string? Error,
    long RoundTripMs,
    ClusterStatusDocument? Status,
    long? StatusAgeMs,
    long? WritesAcknowledged,
    long? ReadsServed);

/// <summary>One timeline event (see NodeEventKind for the kinds); <paramref name="Text"/> says it in words.</summary>
public sealed record OverviewEventDocument(
    int NodeId,
    long Sequence,
    long AtMs,
    string Kind,
    long Term,
    string? Role,
    int? LeaderId,
    int? PeerId,
    long? Index,
    long? LastHeardAtMs,
    long? DurationMs,
    long? Bytes,
    string Text)
{
    public static OverviewEventDocument From(NodeEvent e) => new(
        e.NodeId, e.Sequence, e.AtMs, e.Kind.ToString(), e.Term, e.Role, e.LeaderId, e.PeerId, e.Index,
        e.LastHeardAtMs, e.DurationMs, e.Bytes, e.Describe());
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ClusterOverviewDocument))]
public sealed partial class OverviewJsonContext : JsonSerializerContext;
