using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Configuration;

namespace DistStack.Host.CommandLine;

/// <summary>
/// Parses the seed's flags (<c>--id N --cluster URL1,...,URLn --port P</c>) plus ours. Each setting is taken from
/// the first layer that has it: flags, then environment variables, then the --config hocon file, then the
/// built-in hocon defaults. Pure: the environment comes in as a function, nothing is printed or exited here.
/// </summary>
public static partial class NodeCommandLine
{
    private sealed record Setting(string Flag, string EnvironmentVariable, string HoconPath, string Help);

    private static readonly Setting Id = new("id", "DISTSTACK_ID", "diststack.host.id",
        "this node's 1-based position in --cluster (required)");
    private static readonly Setting Cluster = new("cluster", "DISTSTACK_CLUSTER", "diststack.host.cluster",
        "comma-separated Raft URLs of all nodes, node 1 first; node i's host:port is its Akka.Remote endpoint (required)");
    private static readonly Setting Port = new("port", "DISTSTACK_PORT", "diststack.host.port",
        "HTTP port, on all interfaces unless --bind says otherwise (required)");
    private static readonly Setting DataDir = new("data-dir", "DISTSTACK_DATA_DIR", "diststack.host.data-dir",
        "directory of this node's Raft log and snapshots (default ./data/node-<id>)");
    // These two override diststack.clients.* when given; the file and the defaults are bound in one place,
    // RaftNodeSettings.FromConfig, so they have no hocon path here.
    private static readonly Setting RequestTimeout = new("request-timeout", "DISTSTACK_REQUEST_TIMEOUT", "",
        "every request is answered within this time, e.g. 5s or 500ms (diststack.clients.request-timeout, default 5s)");
    private static readonly Setting HandOverTimeout = new("hand-over-timeout", "DISTSTACK_HAND_OVER_TIMEOUT", "",
        "on SIGTERM, how long a leader may take to hand leadership over (diststack.clients.hand-over-timeout, default 3s)");
    private static readonly Setting Bind = new("bind", "DISTSTACK_BIND", "diststack.host.bind",
        "address the HTTP port listens on, e.g. 127.0.0.1 (default: all interfaces)");
    private static readonly Setting TlsCert = new("tls-cert", "DISTSTACK_TLS_CERT", "diststack.host.tls-cert",
        "serve HTTPS with this certificate: PEM (key inside or in --tls-key) or PKCS#12 (default: plain HTTP)");
    private static readonly Setting TlsKey = new("tls-key", "DISTSTACK_TLS_KEY", "diststack.host.tls-key",
        "PEM private key of --tls-cert");
    private static readonly Setting TlsPassword = new("tls-password", "DISTSTACK_TLS_PASSWORD", "diststack.host.tls-password",
        "opens an encrypted --tls-key or a PKCS#12 --tls-cert (prefer the variable: flags show in ps)");
    private static readonly Setting TlsCa = new("tls-ca", "DISTSTACK_TLS_CA", "diststack.host.tls-ca",
        "CA certificate (PEM) --probe trusts for https:// URLs, e.g. a dev CA");
    // These three override diststack.peer-tls.*, bound in RaftNodeSettings.FromConfig, so they have no hocon path here.
    private static readonly Setting PeerCert = new("peer-cert", "DISTSTACK_PEER_CERT", "",
        "mutual TLS between peers: this node's certificate, PEM or PKCS#12 (diststack.peer-tls.certificate)");
    private static readonly Setting PeerKey = new("peer-key", "DISTSTACK_PEER_KEY", "",
        "PEM private key of --peer-cert (diststack.peer-tls.key)");
    private static readonly Setting PeerCa = new("peer-ca", "DISTSTACK_PEER_CA", "",
        "the cluster's CA (PEM): peers are accepted only with a certificate it signed (diststack.peer-tls.ca)");
    private static readonly Setting AuthTokens = new("auth-tokens", "DISTSTACK_AUTH_TOKENS", "diststack.host.auth-tokens",
        "require bearer tokens: a file of '<scope> <token>' lines, scopes read, read-write, admin (default: no authentication)");
    private static readonly Setting AuthOpen = new("auth-open", "DISTSTACK_AUTH_OPEN", "diststack.host.auth-open",
        "with --auth-tokens, comma-separated paths answered without a token, e.g. /metrics,/ (/health* is always open)");
    private static readonly Setting LogFormatSetting = new("log-format", "DISTSTACK_LOG_FORMAT", "diststack.host.log-format",
        "console log format: text (default) or json (one object per line; Raft events as structured fields)");
    // Bound by RaftNodeSettings.FromConfig like the timeouts: a file sets diststack.cluster-token.
    private static readonly Setting ClusterToken = new("cluster-token", "DISTSTACK_CLUSTER_TOKEN", "",
        "mixed into the cluster id when the data directory is bootstrapped, so clusters on the same URLs never mix (diststack.cluster-token, default none)");
    private static readonly Setting ConfigFile = new("config", "DISTSTACK_CONFIG", "",
        "hocon file layered over the defaults (diststack.host.*, any diststack.* and akka.* setting)");

    /// <summary>Settings that used to live under diststack.host; a file that still sets them is told where they went.</summary>
    private static readonly (string Old, string New)[] MovedSettings =
    [
        ("diststack.host.request-timeout", "diststack.clients.request-timeout"),
        ("diststack.host.hand-over-timeout", "diststack.clients.hand-over-timeout"),
    ];

    private const string RemovedJournalParallelism = "diststack.persistence.parallelism";

    private static readonly Setting[] ValueSettings =
    [
        Id, Cluster, Port, DataDir, RequestTimeout, HandOverTimeout, Bind, TlsCert, TlsKey, TlsPassword, TlsCa,
        PeerCert, PeerKey, PeerCa, AuthTokens, AuthOpen, LogFormatSetting, ClusterToken, ConfigFile,
    ];
    private const string ProbeFlag = "probe";
    private static readonly string[] SwitchFlags = ["help", "h", "join"];

    public static CommandLineResult Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        if (args.Any(a => a is "--help" or "-help" or "-h" or "--h"))
            return new CommandLineResult.ShowHelp(HelpText);

        if (!TryReadFlags(args, out var flags, out var switches, out var flagError))
            return Usage(flagError);

        string? Lookup(Setting s, Config? hocon)
        {
            if (flags.TryGetValue(s.Flag, out var fromFlag)) return fromFlag;
            var fromEnvironment = environment(s.EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(fromEnvironment)) return fromEnvironment.Trim();
            if (hocon is null || s.HoconPath.Length == 0 || !hocon.HasPath(s.HoconPath)) return null;
            var fromHocon = hocon.GetString(s.HoconPath);
            return string.IsNullOrWhiteSpace(fromHocon) || fromHocon == "0" ? null : fromHocon;
        }

        if (flags.TryGetValue(ProbeFlag, out var probe))
        {
            // The probe runs next to a node (Docker HEALTHCHECK) with the node's variables, so it finds the same CA.
            return Uri.TryCreate(probe, UriKind.Absolute, out var probeUrl) && probeUrl.Scheme is "http" or "https"
                ? new CommandLineResult.Probe(probeUrl, Lookup(TlsCa, null))
                : Usage($"--probe: '{probe}' is not an http:// or https:// URL");
        }

        var configFile = Lookup(ConfigFile, null);
        Config userConfig;
        try
        {
            userConfig = configFile is null ? Config.Empty : HostConfigFiles.Read(configFile);
        }
        // FormatException: the HOCON parser's error for e.g. an unresolved ${...} substitution (it does not read
        // environment variables); without it a typo in the file ended the process with an unhandled exception.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ConfigurationException or FormatException)
        {
            return Usage($"--config: cannot read '{configFile}': {e.Message}");
        }
        var hocon = HostConfigFiles.WithDefaults(userConfig);

        var errors = new List<string>();
        foreach (var (old, moved) in MovedSettings)
            if (!userConfig.IsEmpty && userConfig.HasPath(old))
                errors.Add($"--config: {old} is now {moved}; rename it in '{configFile}'");
        if (!userConfig.IsEmpty && userConfig.HasPath(RemovedJournalParallelism))
            errors.Add($"--config: {RemovedJournalParallelism} was removed: the journal always has one writer, because Raft's " +
                       $"asynchronous writes rely on writes becoming durable in order (see diststack.persistence.max-writes-in-flight); " +
                       $"remove it from '{configFile}'");

        var clusterText = Lookup(Cluster, hocon);
        var cluster = ParseCluster(clusterText, errors);
        var id = ParseInt(Id, Lookup(Id, hocon), 1, int.MaxValue, errors);
        if (id is not null && cluster is not null && id > cluster.Count)
            errors.Add($"--id {id}: the cluster has only {cluster.Count} node(s); --id must be 1..{cluster.Count}" +
                       (switches.Contains("join") ? " (with --join, --cluster lists the cluster's Raft URLs and this node's own at position --id)" : ""));
        var port = ParseInt(Port, Lookup(Port, hocon), 1, 65535, errors);
        var requestTimeout = ParseOptionalDuration(RequestTimeout, Lookup(RequestTimeout, hocon), errors);
        var handOverTimeout = ParseOptionalDuration(HandOverTimeout, Lookup(HandOverTimeout, hocon), errors);
        var dataDir = Lookup(DataDir, hocon);
        var bind = Lookup(Bind, hocon);
        if (bind is not null && bind != "localhost" && !System.Net.IPAddress.TryParse(bind, out _))
            errors.Add($"--{Bind.Flag}: '{bind}' is not an IP address or localhost");
        var tlsCert = Lookup(TlsCert, hocon);
        var tlsKey = Lookup(TlsKey, hocon);
        if (tlsKey is not null && tlsCert is null) errors.Add($"--{TlsKey.Flag} needs --{TlsCert.Flag}");
        var peerCert = Lookup(PeerCert, hocon);
        var peerKey = Lookup(PeerKey, hocon);
        var peerCa = Lookup(PeerCa, hocon);
        if (peerCert is not null && peerCa is null && !(hocon.HasPath("diststack.peer-tls.ca") && hocon.GetString("diststack.peer-tls.ca").Length > 0))
            errors.Add($"--{PeerCert.Flag} needs --{PeerCa.Flag} (peers are accepted only with a certificate the cluster's CA signed)");
        var authOpen = (Lookup(AuthOpen, hocon) ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        foreach (var path in authOpen.Where(p => !p.StartsWith('/')))
            errors.Add($"--{AuthOpen.Flag}: '{path}' is not a path (it must start with /)");
        var logFormat = ParseLogFormat(Lookup(LogFormatSetting, hocon), errors);
        var clusterToken = Lookup(ClusterToken, hocon);
        if (clusterToken is not null && !ClusterTokenPattern().IsMatch(clusterToken))
            errors.Add($"--cluster-token: '{clusterToken}' must be 1-64 letters, digits, '.', '_' or '-'");

        if (errors.Count > 0) return Usage(string.Join(Environment.NewLine, errors));

        var options = new NodeOptions(
            id!.Value, cluster!, port!.Value,
            dataDir ?? Path.Combine(".", "data", $"node-{id}"),
            requestTimeout, handOverTimeout, configFile, userConfig, logFormat)
        {
            HttpBind = bind,
            TlsCertificate = tlsCert,
            TlsKey = tlsKey,
            TlsPassword = Lookup(TlsPassword, hocon),
            PeerCertificate = peerCert,
            PeerKey = peerKey,
            PeerCa = peerCa,
            AuthTokensFile = Lookup(AuthTokens, hocon),
            AuthOpenPaths = authOpen,
            ClusterToken = clusterToken,
            Join = switches.Contains("join"),
        };

        if (IsLoopbackOrAny(options.RaftUrl.Host) && options.RaftUrl.Port == options.HttpPort)
            return Usage($"--port {options.HttpPort} is also this node's Raft port in --cluster ({options.RaftUrl}); pick another");

        return new CommandLineResult.RunNode(options);
    }

    public static string HelpText
    {
        get
        {
            var lines = new List<string>
            {
                "DistStack: a distributed, fault-tolerant stack service (Raft over Akka.Remote).",
                "",
                "Usage:",
                "  DistStack.Host --id N --cluster URL1,...,URLn --port P [--data-dir DIR] [options]",
                "  DistStack.Host restore --help     create a new cluster's data directories from a backup (GET /cluster/snapshot)",
                "  DistStack.Host --probe URL        exit 0 if GET URL answers 200, else 1 (Docker HEALTHCHECK; https:// trusts --tls-ca)",
                "  DistStack.Host --help",
                "",
                "Example (one node):",
                "  DistStack.Host --id 1 --cluster http://127.0.0.1:12379 --port 12380",
                "",
                "Flags (each may also be written --flag=value; a flag beats its environment variable,",
                "which beats the --config hocon file, which beats the built-in defaults):",
            };
            foreach (var s in ValueSettings)
                lines.Add($"  --{s.Flag,-19} {s.EnvironmentVariable,-28} {s.Help}");
            lines.Add($"  --{"join",-19} {"",-28} join a running cluster: wait to be added (POST /{{id}} on the leader), then catch up;");
            lines.Add($"  {"",-21} {"",-28} --cluster lists the cluster's Raft URLs with this node's at position --id");
            lines.Add($"  --{ProbeFlag + " URL",-19} {"",-28} health probe (see above)");
            lines.Add($"  --{"help",-19} {"",-28} this text");
            lines.Add("");
            lines.Add($"Exit codes: 0 ok, {ExitCodes.ProbeFailed} probe failed, {ExitCodes.Usage} bad flags, {ExitCodes.RefusedToStart} data directory refused (another node's, or its journal lost).");
            return string.Join(Environment.NewLine, lines) + Environment.NewLine;
        }
    }

    private static CommandLineResult Usage(string message) =>
        new CommandLineResult.Refuse($"{message}{Environment.NewLine}Run with --help for usage.", ExitCodes.Usage);

    private static bool TryReadFlags(
        IReadOnlyList<string> args, out Dictionary<string, string> flags, out HashSet<string> switches, out string error)
    {
        flags = new Dictionary<string, string>(StringComparer.Ordinal);
        switches = new HashSet<string>(StringComparer.Ordinal);
        error = "";
        var known = ValueSettings.Select(s => s.Flag).Append(ProbeFlag).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            // Go's flag package (the seed) accepts -id as well as --id.
            var match = FlagPattern().Match(arg);
            if (!match.Success)
            {
                error = $"unexpected argument '{arg}'";
                return false;
            }

            var name = match.Groups["name"].Value;
            var inlineValue = match.Groups["value"].Success ? match.Groups["value"].Value : null;
            if (SwitchFlags.Contains(name))
            {
                if (inlineValue is not null && !bool.TryParse(inlineValue, out var on))
                {
                    error = $"--{name}: expected true or false, got '{inlineValue}'";
                    return false;
                }
                if (inlineValue is null || bool.Parse(inlineValue)) switches.Add(name);
                continue;
            }

            if (!known.Contains(name))
            {
                error = $"unknown flag '{arg}'";
                return false;
            }

            if (inlineValue is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    error = $"--{name} needs a value";
                    return false;
                }
                inlineValue = args[++i];
            }
            flags[name] = inlineValue.Trim();
        }
        return true;
    }

    private static int? ParseInt(Setting s, string? text, int min, int max, List<string> errors)
    {
        if (text is null)
        {
            errors.Add($"--{s.Flag} is required (or set {s.EnvironmentVariable})");
            return null;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            errors.Add($"--{s.Flag}: '{text}' is not a number in {min}..{(max == int.MaxValue ? "" : max)}");
            return null;
        }
        return value;
    }

    /// <summary>Null when not given (the configuration decides).</summary>
    private static TimeSpan? ParseOptionalDuration(Setting s, string? text, List<string> errors)
    {
        if (text is null) return null;
        var match = DurationPattern().Match(text);
        if (!match.Success || !double.TryParse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            errors.Add($"--{s.Flag}: '{text}' is not a positive duration such as 5s, 500ms or 1m");
            return null;
        }
        return match.Groups["unit"].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "m" or "min" => TimeSpan.FromMinutes(n),
            _ => TimeSpan.FromSeconds(n),
        };
    }

    private static LogFormat ParseLogFormat(string? text, List<string> errors)
    {
        switch (text)
        {
            case null or "text":
                return LogFormat.Text;
            case "json":
                return LogFormat.Json;
            default:
                errors.Add($"--{LogFormatSetting.Flag}: '{text}' is not a log format; use text or json");
                return LogFormat.Text;
        }
    }

    internal static IReadOnlyList<Uri>? ParseCluster(string? text, List<string> errors)
    {
        if (text is null)
        {
            errors.Add($"--{Cluster.Flag} is required (or set {Cluster.EnvironmentVariable}), e.g. --cluster http://127.0.0.1:12379");
            return null;
        }
        var urls = new List<Uri>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") ||
                url.Host.Length == 0 || !HasExplicitPort(part, url))
            {
                errors.Add($"--{Cluster.Flag}: '{part}' is not a URL like http://host:port");
                return null;
            }
            if (urls.Any(u => string.Equals(u.Host, url.Host, StringComparison.OrdinalIgnoreCase) && u.Port == url.Port))
            {
                errors.Add($"--{Cluster.Flag}: {url.Host}:{url.Port} is listed twice");
                return null;
            }
            urls.Add(url);
        }
        return urls;
    }

    // The Raft endpoint must be explicit: an implied :80 is never what a user meant here.
    private static bool HasExplicitPort(string text, Uri url) => !url.IsDefaultPort || text.Contains($":{url.Port}");

    private static bool IsLoopbackOrAny(string host) =>
        host is "127.0.0.1" or "localhost" or "0.0.0.0" or "[::1]" or "::1" or "[::]";

    [GeneratedRegex(@"^--?(?<name>[a-z][a-z-]*)(=(?<value>.*))?$", RegexOptions.CultureInvariant)]
    private static partial Regex FlagPattern();

    [GeneratedRegex(@"^(?<n>\d+(\.\d+)?)\s*(?<unit>ms|s|m|min)?$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    internal static partial Regex ClusterTokenPattern();
}
