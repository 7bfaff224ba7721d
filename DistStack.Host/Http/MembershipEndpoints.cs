using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using DistStack.Actors.Hosting;
using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Host.Gateway;

namespace DistStack.Host.Http;

/// <summary>
/// Changing the members at runtime (docs/membership.md). raftexample's commands, unchanged: <c>POST /{id}</c> with the
/// new node's Raft URL as the body adds it as a learner, and this leader promotes it by itself once it is caught up;
/// <c>DELETE /{id}</c> removes it. And as JSON: <c>GET /cluster/members</c>, <c>POST /cluster/members</c>
/// (<c>{"id","address","learner"}</c>), <c>POST /cluster/members/{id}/promote</c>, <c>DELETE /cluster/members/{id}</c>.
/// Changes are made by the leader: another node answers 503 naming it. They are idempotent by target state (a
/// retry after a 504 gets 200). Under <c>--auth-tokens</c> every change needs the admin scope (AccessRules).
/// </summary>
public static class MembershipEndpoints
{
    /// <summary>A membership request body is a URL or a small JSON object: anything larger is refused.</summary>
    private const int MaxBodyBytes = 4096;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static IEndpointRouteBuilder MapMembershipEndpoints(this IEndpointRouteBuilder app)
    {
        // raftexample: POST /4 -d http://127.0.0.1:42379, DELETE /4. Only all-digit paths (so /sCreate and /v1 are not
        // taken); /0, /-1 and ids too large for a node id are 400s.
        app.Map("/{id:regex(^-?[0-9]+$)}", async context =>
        {
            var method = context.Request.Method;
            if (!HttpMethods.IsPost(method) && !HttpMethods.IsDelete(method))
            {
                await TextAnswers.MethodNotAllowedAsync(context, "POST, DELETE");
                return;
            }
            if (ParseId((string?)context.Request.RouteValues["id"]) is not { } id)
            {
                await TextAnswers.WriteAsync(context, StatusCodes.Status400BadRequest,
                    $"'{context.Request.RouteValues["id"]}' is not a node id (1 to {int.MaxValue})");
                return;
            }
            ChangeMembership change;
            if (HttpMethods.IsDelete(method)) change = new ChangeMembership(ConfigurationChange.Remove(id));
            else
            {
                var (address, error) = await ReadAddressBodyAsync(context, id);
                if (address is null)
                {
                    await TextAnswers.WriteAsync(context, error!.Value.Status, error.Value.Text);
                    return;
                }
                change = new ChangeMembership(ConfigurationChange.AddLearner(id, address, promoteWhenCaughtUp: true));
            }
            var reply = await Gateway(context).ChangeMembershipAsync(change, context.RequestAborted);
            var (status, text) = TextFor(reply);
            if (status == StatusCodes.Status503ServiceUnavailable) context.Response.Headers.RetryAfter = "1";
            await TextAnswers.WriteAsync(context, status, text);
        });

        app.Map("/cluster/members", async context =>
        {
            if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            {
                await WriteMembersAsync(context);
                return;
            }
            if (!HttpMethods.IsPost(context.Request.Method))
            {
                await TextAnswers.MethodNotAllowedAsync(context, "GET, HEAD, POST");
                return;
            }
            var (request, error) = await ReadAddMemberBodyAsync(context);
            if (request is null)
            {
                await ProblemAsync(context, error!.Value.Status, "Bad request", error.Value.Text);
                return;
            }
            await ChangeAsJsonAsync(context, request);
        });

        app.Map("/cluster/members/{id}/promote", async context =>
        {
            if (!HttpMethods.IsPost(context.Request.Method))
            {
                await TextAnswers.MethodNotAllowedAsync(context, "POST");
                return;
            }
            if (await IdOrProblemAsync(context) is { } id)
                await ChangeAsJsonAsync(context, new ChangeMembership(ConfigurationChange.Promote(id)));
        });

        app.Map("/cluster/members/{id}", async context =>
        {
            if (!HttpMethods.IsDelete(context.Request.Method))
            {
                await TextAnswers.MethodNotAllowedAsync(context, "DELETE");
                return;
            }
            if (await IdOrProblemAsync(context) is { } id)
                await ChangeAsJsonAsync(context, new ChangeMembership(ConfigurationChange.Remove(id)));
        });
        return app;
    }

    private static GatewayClient Gateway(HttpContext context) => context.RequestServices.GetRequiredService<GatewayClient>();

    private static int? ParseId(string? text) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id > 0
            ? id
            : null;

    private static async Task<int?> IdOrProblemAsync(HttpContext context)
    {
        var text = (string?)context.Request.RouteValues["id"];
        if (ParseId(text) is { } id) return id;
        await ProblemAsync(context, StatusCodes.Status400BadRequest, "Bad request", $"'{text}' is not a node id (1 to {int.MaxValue})");
        return null;
    }

    /// <summary>
    /// The Raft URL raftexample's README sends (<c>http://127.0.0.1:42379</c>), or <c>host:port</c>: its host and port
    /// are the new member's peer address, as in --cluster.
    /// </summary>
    internal static string? ParseAddress(int id, string text, out string? error)
    {
        error = null;
        var trimmed = text.Trim();
        var scheme = trimmed.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0 && trimmed[..scheme] is not ("http" or "https" or "tcp" or "akka.tcp" or "akka.ssl.tcp"))
        {
            error = $"'{trimmed}' is not a Raft URL: use http://host:port or host:port";
            return null;
        }
        try
        {
            var endpoint = PeerEndpoint.Parse(id, trimmed);
            var address = endpoint.ToString();
            if (endpoint.Host.Length > 0 && ClusterConfiguration.IsValidAddress(address)) return address;
        }
        catch (FormatException) { }
        error = $"'{trimmed}' is not a Raft URL: use http://host:port or host:port (port 1-65535)";
        return null;
    }

    private static async Task<(string? Address, (int Status, string Text)? Error)> ReadAddressBodyAsync(HttpContext context, int id)
    {
        var text = await ReadTextAsync(context);
        if (text.Error is { } error) return (null, error);
        if (text.Text!.Length == 0)
            return (null, (StatusCodes.Status400BadRequest, "the body must be the new node's Raft URL, e.g. http://127.0.0.1:42379"));
        var address = ParseAddress(id, text.Text, out var bad);
        return address is null ? (null, (StatusCodes.Status400BadRequest, bad!)) : (address, null);
    }

    private static async Task<(string? Text, (int Status, string Text)? Error)> ReadTextAsync(HttpContext context)
    {
        var body = await BodyReader.ReadAtMostAsync(context.Request, MaxBodyBytes, context.RequestAborted);
        if (body is null) return (null, (StatusCodes.Status413PayloadTooLarge, $"the body is larger than {MaxBodyBytes} bytes"));
        try
        {
            return (StrictUtf8.GetString(body).Trim(), null);
        }
        catch (DecoderFallbackException)
        {
            return (null, (StatusCodes.Status400BadRequest, "the body is not valid UTF-8"));
        }
    }

    /// <summary><c>{"id": 4, "address": "127.0.0.1:42379", "learner": false}</c>; learner defaults to false (promoted once caught up).</summary>
    private static async Task<(ChangeMembership? Request, (int Status, string Text)? Error)> ReadAddMemberBodyAsync(HttpContext context)
    {
        var text = await ReadTextAsync(context);
        if (text.Error is { } error) return (null, error);
        const string shape = "the body must be a JSON object {\"id\": 4, \"address\": \"host:port\", \"learner\": false}";
        int? id = null;
        string? addressText = null;
        var learner = false;
        try
        {
            using var document = JsonDocument.Parse(text.Text!);
            if (document.RootElement.ValueKind != JsonValueKind.Object) return (null, (StatusCodes.Status400BadRequest, shape));
            foreach (var property in document.RootElement.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "id" when property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt32(out var value) && value > 0:
                        id = value;
                        break;
                    case "address" when property.Value.ValueKind == JsonValueKind.String:
                        addressText = property.Value.GetString();
                        break;
                    case "learner" when property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False:
                        learner = property.Value.GetBoolean();
                        break;
                    case "id" or "address" or "learner":
                        return (null, (StatusCodes.Status400BadRequest,
                            $"\"{property.Name}\" has a wrong type or value: id is a node id (1 to {int.MaxValue}), address a string, learner true or false"));
                    default:
                        return (null, (StatusCodes.Status400BadRequest, $"unknown property \"{property.Name}\"; {shape}"));
                }
            }
        }
        catch (JsonException e)
        {
            return (null, (StatusCodes.Status400BadRequest, $"the body is not JSON ({e.Message}); {shape}"));
        }
        if (id is null || addressText is null) return (null, (StatusCodes.Status400BadRequest, $"\"id\" and \"address\" are required; {shape}"));
        var address = ParseAddress(id.Value, addressText, out var bad);
        if (address is null) return (null, (StatusCodes.Status400BadRequest, bad!));
        return (new ChangeMembership(ConfigurationChange.AddLearner(id.Value, address, promoteWhenCaughtUp: !learner)), null);
    }

    /// <summary>The status a reply maps to: refusals by reason (a bad id 400, an unknown member 404, the rest 409).</summary>
    private static int StatusOf(MembershipReply reply) => reply switch
    {
        MembershipReply.Done => StatusCodes.Status200OK,
        MembershipReply.Refused { Reason: ConfigurationRefusal.InvalidNodeId } => StatusCodes.Status400BadRequest,
        MembershipReply.Refused { Reason: ConfigurationRefusal.NotAMember } => StatusCodes.Status404NotFound,
        MembershipReply.Refused => StatusCodes.Status409Conflict,
        MembershipReply.NotStarted => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status504GatewayTimeout,
    };

    private static (int Status, string Text) TextFor(MembershipReply reply) => (StatusOf(reply), reply switch
    {
        MembershipReply.Done done => done.Detail,
        MembershipReply.Refused refused => refused.Detail + "; nothing was changed",
        MembershipReply.NotStarted notStarted => $"not started: {notStarted.Detail}; nothing was changed",
        MembershipReply.OutcomeUnknown unknown => $"outcome unknown: {unknown.Detail}",
        _ => reply.ToString(),
    });

    private static async Task ChangeAsJsonAsync(HttpContext context, ChangeMembership change)
    {
        var reply = await Gateway(context).ChangeMembershipAsync(change, context.RequestAborted);
        if (reply is MembershipReply.Done)
        {
            await WriteMembersAsync(context);
            return;
        }
        var (status, text) = TextFor(reply);
        if (reply is MembershipReply.NotStarted { LeaderId: { } leader })
            context.Response.Headers["X-DistStack-Leader"] = leader.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (status == StatusCodes.Status503ServiceUnavailable) context.Response.Headers.RetryAfter = "1";
        var title = reply switch
        {
            MembershipReply.Refused { Reason: ConfigurationRefusal.NotAMember } => "Unknown member",
            MembershipReply.Refused { Reason: ConfigurationRefusal.InvalidNodeId } => "Bad request",
            MembershipReply.Refused => "Conflict",
            MembershipReply.NotStarted => "Not started",
            _ => "Outcome unknown",
        };
        await ProblemAsync(context, status, title, text);
    }

    private static async Task WriteMembersAsync(HttpContext context)
    {
        if (await Gateway(context).MembershipAsync(context.RequestAborted) is not { } view)
        {
            context.Response.Headers.RetryAfter = "1";
            await ProblemAsync(context, StatusCodes.Status503ServiceUnavailable, "Not started", "the Raft node did not report its members");
            return;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, MembersDocument.From(view),
            MembershipJsonContext.Default.MembersDocument, context.RequestAborted);
        await context.Response.WriteAsync("\n", context.RequestAborted);
    }

    private static Task ProblemAsync(HttpContext context, int status, string title, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: title).ExecuteAsync(context);
}

/// <summary>
/// GET /cluster/members: the configuration in force on the answering node (its latest, committed or not). caughtUp
/// is known on the leader only, for learners (null elsewhere); answeredByLeader says whether it is the leader's view.
/// </summary>
public sealed record MembersDocument(int NodeId, int? LeaderId, bool AnsweredByLeader, IReadOnlyList<MemberEntryDocument> Members)
{
    public static MembersDocument From(MembershipView view) => new(
        view.NodeId, view.LeaderId, view.AnsweredByLeader,
        [.. view.Configuration.Members.Order().Select(id => new MemberEntryDocument(
            id,
            view.Addresses.GetValueOrDefault(id) ?? "",
            view.Configuration.IsLearner(id) ? "learner" : "voter",
            view.Configuration.IsLearner(id) && view.AnsweredByLeader ? view.CaughtUpLearners.Contains(id) : null,
            view.LeaderId == id))]);
}

public sealed record MemberEntryDocument(int Id, string Address, string Role, bool? CaughtUp, bool IsLeader);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(MembersDocument))]
public sealed partial class MembershipJsonContext : JsonSerializerContext;
