using System.Globalization;
using System.Text.RegularExpressions;

namespace DistStack.Host.CommandLine;

/// <summary>
/// <c>DistStack.Host restore</c>: what to restore, for which new cluster, into which data directories. Either one
/// member (<c>--id N [--data-dir DIR]</c>, as etcdctl snapshot restore does per member, for a member on another
/// host) or every member at once (<c>--data-dir-template</c> with <c>{id}</c>, default <c>./data/node-{id}</c>, the
/// node's own default). Pure: parsing only.
/// </summary>
public sealed record RestoreOptions(
    string SnapshotFile,
    IReadOnlyList<Uri> Cluster,
    string ClusterToken,
    IReadOnlyDictionary<int, string> DataDirectories,
    string? ConfigFile);

public static partial class RestoreCommandLine
{
    public const string Verb = "restore";
    public const string IdPlaceholder = "{id}";

    private static readonly string[] ValueFlags = ["snapshot", "cluster", "cluster-token", "id", "data-dir", "data-dir-template", "config"];

    public static string HelpText => string.Join(Environment.NewLine,
        "DistStack.Host restore: create the data directories of a NEW cluster from a backup (GET /cluster/snapshot).",
        "",
        "Usage:",
        "  DistStack.Host restore --snapshot FILE --cluster URL1,...,URLn --cluster-token NEW [--data-dir-template DIR]",
        "  DistStack.Host restore --snapshot FILE --cluster URL1,...,URLn --cluster-token NEW --id N [--data-dir DIR]",
        "",
        "  --snapshot FILE           the backup; its checksum is verified first",
        "  --cluster URLs            the NEW cluster's Raft URLs, node 1 first (as each node will be started)",
        "  --cluster-token NEW       the new cluster's token: mixed into its id, so it never talks to the old cluster",
        "  --data-dir-template DIR   every member's data directory, with {id} for the node id (default ./data/node-{id})",
        "  --id N, --data-dir DIR    restore member N only, into DIR (default ./data/node-N): run it on each host",
        "  --config FILE             the nodes' hocon file (persistence settings); SQLite only for now",
        "",
        "Each data directory must be missing or empty. Then start each node as usual with the same --cluster:",
        "  DistStack.Host --id N --cluster URL1,...,URLn --port P --data-dir DIR",
        "",
        $"Exit codes: 0 restored, {ExitCodes.Failed} refused (bad backup, non-empty directory, storage error), {ExitCodes.Usage} bad flags.",
        "");

    /// <summary>Null with <paramref name="options"/> set, or what to do instead: show help, or refuse (a usage error).</summary>
    public static CommandLineResult? Parse(IReadOnlyList<string> args, out RestoreOptions? options)
    {
        options = null;
        if (args.Any(a => a is "--help" or "-help" or "-h" or "--h")) return new CommandLineResult.ShowHelp(HelpText);

        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var match = FlagPattern().Match(args[i]);
            if (!match.Success) return Usage($"unexpected argument '{args[i]}'");
            var name = match.Groups["name"].Value;
            if (!ValueFlags.Contains(name)) return Usage($"unknown flag '{args[i]}' for restore");
            var value = match.Groups["value"].Success ? match.Groups["value"].Value : null;
            if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal)) return Usage($"--{name} needs a value");
                value = args[++i];
            }
            if (!flags.TryAdd(name, value.Trim())) return Usage($"--{name} is given twice");
        }

        var errors = new List<string>();
        if (!flags.TryGetValue("snapshot", out var snapshot)) errors.Add("--snapshot FILE is required");
        var cluster = flags.TryGetValue("cluster", out var clusterText)
            ? NodeCommandLine.ParseCluster(clusterText, errors)
            : Add(errors, "--cluster is required: the NEW cluster's Raft URLs, node 1 first");
        if (!flags.TryGetValue("cluster-token", out var token))
            errors.Add("--cluster-token is required: a restored cluster needs a new token, so that it never talks to the old one");
        else if (!NodeCommandLine.ClusterTokenPattern().IsMatch(token))
            errors.Add($"--cluster-token: '{token}' must be 1-64 letters, digits, '.', '_' or '-'");

        int? id = null;
        if (flags.TryGetValue("id", out var idText))
        {
            if (!int.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) || parsed < 1)
                errors.Add($"--id: '{idText}' is not a node id (1, 2, ...)");
            else if (cluster is not null && parsed > cluster.Count)
                errors.Add($"--id {parsed}: the cluster has only {cluster.Count} node(s)");
            else id = parsed;
        }
        flags.TryGetValue("data-dir", out var dataDir);
        flags.TryGetValue("data-dir-template", out var template);
        if (dataDir is not null && idText is null) errors.Add("--data-dir needs --id (for every member at once, use --data-dir-template)");
        if (template is not null && idText is not null) errors.Add("--data-dir-template restores every member; with --id use --data-dir");
        if (template is not null && !template.Contains(IdPlaceholder, StringComparison.Ordinal))
            errors.Add($"--data-dir-template: '{template}' has no {IdPlaceholder}, so every member would get the same directory");
        if (errors.Count > 0 || cluster is null || snapshot is null || token is null) return Usage(string.Join(Environment.NewLine, errors));

        var directories = id is { } one
            ? new Dictionary<int, string> { [one] = dataDir ?? Path.Combine(".", "data", $"node-{one}") }
            : Enumerable.Range(1, cluster.Count).ToDictionary(n => n,
                n => (template ?? Path.Combine(".", "data", "node-" + IdPlaceholder)).Replace(IdPlaceholder, n.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
        flags.TryGetValue("config", out var config);
        options = new RestoreOptions(snapshot, cluster, token, directories, config);
        return null;
    }

    private static IReadOnlyList<Uri>? Add(List<string> errors, string error)
    {
        errors.Add(error);
        return null;
    }

    private static CommandLineResult.Refuse Usage(string message) =>
        new($"{message}{Environment.NewLine}Run DistStack.Host restore --help for usage.", ExitCodes.Usage);

    [GeneratedRegex(@"^--?(?<name>[a-z][a-z-]*)(=(?<value>.*))?$", RegexOptions.CultureInvariant)]
    private static partial Regex FlagPattern();
}
