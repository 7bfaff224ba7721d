using System.Text.Json;
using System.Text.Json.Serialization;

namespace DistStack.Tests.Linearizability;

/// <summary>
/// Histories as JSON lines, one op per line, so a failed chaos run can be re-checked (or read by a human)
/// later: <c>LinearizabilityChecker.Check(HistoryFile.Read(path))</c>.
/// </summary>
public static class HistoryFile
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private sealed record Line(
        int Id,
        int Client,
        string Stack,
        StackOpKind Kind,
        string? Input,
        long Invoked,
        long? Completed,
        OpStatus Status,
        ResultKind? Result,
        string? Value,
        long? Size,
        string? Note);

    public static string ToLine(HistoryOp op, string? note = null) => JsonSerializer.Serialize(
        new Line(op.Id, op.ClientId, op.StackId, op.Kind, op.Input, op.InvokedAt, op.CompletedAt, op.Status,
            op.Result?.Kind, op.Result?.Value, op.Result?.Kind == ResultKind.Size ? op.Result.Size : null, note),
        Json);

    public static HistoryOp FromLine(string line)
    {
        var l = JsonSerializer.Deserialize<Line>(line, Json) ?? throw new FormatException($"not a history line: {line}");
        var result = l.Result is { } kind ? new StackOpResult(kind, l.Value, l.Size ?? 0) : null;
        return new HistoryOp(l.Id, l.Client, l.Stack, l.Kind, l.Input, l.Invoked, l.Completed, l.Status, result);
    }

    public static void Write(string path, IEnumerable<HistoryOp> ops) =>
        File.WriteAllLines(path, ops.Select(op => ToLine(op)));

    public static List<HistoryOp> Read(string path) =>
        File.ReadLines(path).Where(l => !string.IsNullOrWhiteSpace(l)).Select(FromLine).ToList();
}
