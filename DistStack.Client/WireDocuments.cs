using System.Text.Json;
using System.Text.Json.Serialization;

namespace DistStack.Client;

// The /v1 API's JSON bodies as the client reads them (the server's own types live in the Host; the client depends
// only on the documented wire format).

internal sealed record StackPageDocument(IReadOnlyList<string> Stacks, string? Next);

internal sealed record StackCreatedDocument(string Id, bool Created);

internal sealed record StackDescriptionDocument(string Id, long Size, string? Top);

internal sealed record ItemsPushedDocument(int Pushed, long Size);

internal sealed record ItemsPoppedDocument(IReadOnlyList<string> Values, int Requested, long Size);

internal sealed record ProblemDocument(string? Title, int? Status, string? Detail);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(StackPageDocument))]
[JsonSerializable(typeof(StackCreatedDocument))]
[JsonSerializable(typeof(StackDescriptionDocument))]
[JsonSerializable(typeof(ItemsPushedDocument))]
[JsonSerializable(typeof(ItemsPoppedDocument))]
[JsonSerializable(typeof(ProblemDocument))]
[JsonSerializable(typeof(ClusterStatus))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class ClientJsonContext : JsonSerializerContext;
