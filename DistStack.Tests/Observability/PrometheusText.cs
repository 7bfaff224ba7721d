using System.Globalization;
using System.Text.RegularExpressions;

namespace DistStack.Tests.Observability;

/// <summary>
/// A strict reader of the Prometheus text exposition format (version 0.0.4) as far as the tests need it: every
/// sample line is "name{labels} value", every # line is HELP or TYPE, and every sample's family has a TYPE. A
/// line that does not parse fails the test instead of being skipped.
/// </summary>
public sealed partial class PrometheusText
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public IReadOnlyList<Sample> Samples { get; }

    public IReadOnlyDictionary<string, string> Types { get; }

    private PrometheusText(IReadOnlyList<Sample> samples, IReadOnlyDictionary<string, string> types)
    {
        Samples = samples;
        Types = types;
    }

    public static PrometheusText Parse(string text)
    {
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith('#'))
            {
                var comment = CommentLine().Match(line);
                if (!comment.Success) throw new FormatException($"not a HELP or TYPE line: {line}");
                if (comment.Groups["kind"].Value == "TYPE") types[comment.Groups["name"].Value] = comment.Groups["rest"].Value.Trim();
                continue;
            }
            var match = SampleLine().Match(line);
            if (!match.Success) throw new FormatException($"not a sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
                labels[label.Groups["key"].Value] = label.Groups["value"].Value.Replace("\\\"", "\"").Replace("\\n", "\n").Replace("\\\\", "\\");
            samples.Add(new Sample(match.Groups["name"].Value, labels, ParseValue(match.Groups["value"].Value)));
        }
        foreach (var sample in samples)
            if (!types.ContainsKey(FamilyOf(sample.Name, types)))
                throw new FormatException($"sample {sample.Name} has no # TYPE line");
        return new PrometheusText(samples, types);
    }

    /// <summary>The one sample of <paramref name="name"/> with exactly these labels (none by default).</summary>
    public double Value(string name, params (string Key, string Value)[] labels)
    {
        var matching = Samples.Where(s => s.Name == name && s.Labels.Count == labels.Length &&
                                          labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        return matching.Count == 1
            ? matching[0].Value
            : throw new KeyNotFoundException($"{matching.Count} samples of {name} with labels {string.Join(",", labels)}");
    }

    /// <summary>The sum of every sample of <paramref name="name"/> (any labels); 0 when there is none.</summary>
    public double Sum(string name) => Samples.Where(s => s.Name == name).Sum(s => s.Value);

    private static string FamilyOf(string sampleName, IReadOnlyDictionary<string, string> types)
    {
        if (types.ContainsKey(sampleName)) return sampleName;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal) && types.ContainsKey(sampleName[..^suffix.Length]))
                return sampleName[..^suffix.Length];
        return sampleName;
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    [GeneratedRegex(@"^# (?<kind>HELP|TYPE) (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<rest>.*)$")]
    private static partial Regex CommentLine();

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)( \d+)?$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(\\.|[^""\\])*)""")]
    private static partial Regex LabelPair();
}
