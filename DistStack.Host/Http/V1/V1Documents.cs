using System.Text.Json;
using System.Text.Json.Serialization;

namespace DistStack.Host.Http.V1;

// The JSON bodies of the /v1 API (camelCase). Errors are RFC 9457 problem details (ProblemAnswers).

/// <summary>GET /v1/stacks: one page of ids in ordinal order; <paramref name="Next"/> is the cursor for the next page (null: last page).</summary>
public sealed record StackPage(IReadOnlyList<string> Stacks, string? Next);

/// <summary>PUT /v1/stacks/{id}: <paramref name="Created"/> false when it already existed (nothing reset).</summary>
public sealed record StackCreated(string Id, bool Created);

/// <summary>GET /v1/stacks/{id}: its size and top value (null when empty).</summary>
public sealed record StackDescription(string Id, long Size, string? Top);

/// <summary>DELETE /v1/stacks/{id}.</summary>
public sealed record StackDeleted(string Id);

/// <summary>POST /v1/stacks/{id}/items: how many values this request pushed and the stack's size after it.</summary>
public sealed record ItemsPushed(int Pushed, long Size);

/// <summary>
/// POST /v1/stacks/{id}/pop: the values popped, top first. Fewer than <paramref name="Requested"/> means the stack held
/// no more; <paramref name="Size"/> is what is left.
/// </summary>
public sealed record ItemsPopped(IReadOnlyList<string> Values, int Requested, long Size);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(StackPage))]
[JsonSerializable(typeof(StackCreated))]
[JsonSerializable(typeof(StackDescription))]
[JsonSerializable(typeof(StackDeleted))]
[JsonSerializable(typeof(ItemsPushed))]
[JsonSerializable(typeof(ItemsPopped))]
[JsonSerializable(typeof(string[]))]
public sealed partial class V1JsonContext : JsonSerializerContext;
