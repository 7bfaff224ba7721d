using System.Diagnostics;
using System.Net;
using DistStack.Tests.Support;

namespace DistStack.Tests.Chaos;

/// <summary>
/// Namespace mode: a hub namespace holds a bridge (10.77.0.254/24); node i runs in its own namespace at
/// 10.77.0.i, linked to the bridge by a veth pair. The runner's HTTP sockets are made inside the hub, so the
/// host's own network namespace gets no address at all. Partitions are iptables DROP rules in the nodes'
/// OUTPUT chains (peer addresses only: the runner at .254 always gets through).
/// </summary>
public sealed class NamespaceChaosCluster : IChaosCluster
{
    private const int RaftPort = 7000;
    private const int HttpPort = 8080;
    private readonly string _tag;
    private readonly NamespaceSocketFactory _sockets;
    private readonly Action<string> _log;
    private readonly HashSet<(int From, int To)> _blocked = [];

    private NamespaceChaosCluster(string tag, string root, int count, string hostDll, NamespaceSocketFactory sockets, Action<string> log)
    {
        _tag = tag;
        _sockets = sockets;
        _log = log;
        RootDirectory = root;
        var cluster = string.Join(",", Enumerable.Range(1, count).Select(i => $"http://{Address(i)}:{RaftPort}"));
        Nodes = Enumerable.Range(1, count).Select(i => (IChaosNode)new NamespacedNode(i, NodeNamespace(i), Address(i), cluster, root, hostDll)).ToList();
        Http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(20),
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = await _sockets.CreateAsync();
                try
                {
                    await socket.ConnectAsync(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port, cancellation);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public IReadOnlyList<IChaosNode> Nodes { get; }
    public HttpClient Http { get; }
    public string RootDirectory { get; }
    public bool SupportsPartitions => true;
    public bool SupportsWipe => true;
    public bool KeepData { get; set; }

    public string NetworkDescription =>
        $"network namespaces {HubNamespace}, {NodeNamespace(1)}..{NodeNamespace(Nodes.Count)}: nodes at 10.77.0.1-{Nodes.Count}, bridge in the hub; partitions by iptables";

    public static (bool Ok, string Why) CanRun() => NetworkNamespaces.Prerequisites();

    public static async Task<NamespaceChaosCluster> StartAsync(int count, string root, Action<string> log)
    {
        NetworkNamespaces.RemoveStale(log);
        var tag = Guid.NewGuid().ToString("N")[..4];
        var hub = $"{NetworkNamespaces.Prefix}{tag}-hub";
        try
        {
            NetworkNamespaces.Run("ip", "netns", "add", hub);
            NetworkNamespaces.Run("ip", "-n", hub, "link", "set", "lo", "up");
            NetworkNamespaces.Run("ip", "-n", hub, "link", "add", "br0", "type", "bridge");
            NetworkNamespaces.Run("ip", "-n", hub, "addr", "add", "10.77.0.254/24", "dev", "br0");
            NetworkNamespaces.Run("ip", "-n", hub, "link", "set", "br0", "up");
            for (var i = 1; i <= count; i++)
            {
                var ns = $"{NetworkNamespaces.Prefix}{tag}-n{i}";
                NetworkNamespaces.Run("ip", "netns", "add", ns);
                NetworkNamespaces.Run("ip", "-n", hub, "link", "add", $"v{i}", "type", "veth", "peer", "name", "eth0", "netns", ns);
                NetworkNamespaces.Run("ip", "-n", hub, "link", "set", $"v{i}", "master", "br0");
                NetworkNamespaces.Run("ip", "-n", hub, "link", "set", $"v{i}", "up");
                NetworkNamespaces.Run("ip", "-n", ns, "addr", "add", $"10.77.0.{i}/24", "dev", "eth0");
                NetworkNamespaces.Run("ip", "-n", ns, "link", "set", "eth0", "up");
                NetworkNamespaces.Run("ip", "-n", ns, "link", "set", "lo", "up");
            }
        }
        catch
        {
            Teardown(tag, count);
            throw;
        }

        var sockets = new NamespaceSocketFactory(hub);
        var cluster = new NamespaceChaosCluster(tag, root, count, NodeProcessBuildOutput.HostDll, sockets, log);
        foreach (var node in cluster.Nodes)
        {
            node.Start();
        }

        log($"started {count} nodes in network namespaces {hub} + {NetworkNamespaces.Prefix}{tag}-n1..{count}, data under {root}");
        await Task.CompletedTask;
        return cluster;
    }

    public async Task BlockAsync(IReadOnlyCollection<(int From, int To)> links)
    {
        List<IGrouping<int, (int From, int To)>> bySource;
        lock (_blocked)
        {
            bySource = links.Where(l => _blocked.Add(l)).GroupBy(l => l.From).ToList();
        }

        // One iptables-restore per namespace, all namespaces at once: the cut lands together, not rule by rule.
        await Task.WhenAll(bySource.Select(group => Task.Run(() =>
        {
            var rules = "*filter\n" + string.Concat(group.Select(l => $"-A OUTPUT -d {Address(l.To)} -j DROP\n")) + "COMMIT\n";
            NetworkNamespaces.RunWithInput(rules, "ip", "netns", "exec", NodeNamespace(group.Key), "iptables-restore", "-w", "--noflush");
        })));
    }

    public async Task HealAsync()
    {
        List<int> sources;
        lock (_blocked)
        {
            sources = _blocked.Select(b => b.From).Distinct().ToList();
            _blocked.Clear();
        }

        await Task.WhenAll(sources.Select(from => Task.Run(() =>
            NetworkNamespaces.Run("ip", "netns", "exec", NodeNamespace(from), "iptables", "-w", "-F", "OUTPUT"))));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            try
            {
                await node.KillAsync();
            }
            catch (Exception e)
            {
                _log($"killing node {node.Id}: {e.Message}");
            }

            ((NamespacedNode)node).Dispose();
        }

        Http.Dispose();
        _sockets.Dispose();
        Teardown(_tag, Nodes.Count);

        // The data root belongs to the caller (the runner copies the logs out, then deletes it or keeps it).
    }

    private static void Teardown(string tag, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            NetworkNamespaces.TryRun("ip", "netns", "del", $"{NetworkNamespaces.Prefix}{tag}-n{i}");
        }

        NetworkNamespaces.TryRun("ip", "netns", "del", $"{NetworkNamespaces.Prefix}{tag}-hub");
    }

    private string HubNamespace => $"{NetworkNamespaces.Prefix}{_tag}-hub";

    private string NodeNamespace(int i) => $"{NetworkNamespaces.Prefix}{_tag}-n{i}";

    private static string Address(int i) => $"10.77.0.{i}";

    /// <summary>A Host process started with "ip netns exec" (which execs: the pid is the dotnet process's).</summary>
    private sealed class NamespacedNode : IChaosNode, IDisposable
    {
        private readonly object _gate = new();
        private readonly string _namespace;
        private readonly string _hostDll;
        private readonly List<string> _arguments;
        private readonly string _dataDir;
        private bool _joinOnStart;
        private Process? _process;
        private StreamWriter? _log;

        public NamespacedNode(int id, string ns, string address, string cluster, string root, string hostDll)
        {
            Id = id;
            _namespace = ns;
            _hostDll = hostDll;
            var nodeRoot = Path.Combine(root, $"node-{id}");
            Directory.CreateDirectory(nodeRoot);
            LogPath = Path.Combine(nodeRoot, "node.log");
            HttpUrl = new Uri($"http://{address}:{HttpPort}");
            RaftUrl = $"http://{address}:{RaftPort}";
            _dataDir = Path.Combine(nodeRoot, "data");
            _arguments = ["--id", id.ToString(), "--cluster", cluster, "--port", HttpPort.ToString(), "--data-dir", _dataDir];
        }

        public int Id { get; }
        public Uri HttpUrl { get; }
        public string RaftUrl { get; }
        public string LogPath { get; }
        public bool IsPaused { get; private set; }

        public bool IsRunning
        {
            get
            {
                lock (_gate)
                {
                    return _process is { HasExited: false };
                }
            }
        }

        public void Start()
        {
            lock (_gate)
            {
                if (_process is { HasExited: false })
                {
                    throw new InvalidOperationException($"node {Id} is already running");
                }

                _process?.Dispose();
                var start = new ProcessStartInfo(NetworkNamespaces.Which("ip") ?? "ip")
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                foreach (var a in new[] { "netns", "exec", _namespace, "dotnet", _hostDll }.Concat(_arguments).Concat(_joinOnStart ? ["--join"] : []))
                {
                    start.ArgumentList.Add(a);
                }

                foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("DISTSTACK_", StringComparison.Ordinal)).ToList())
                {
                    start.Environment.Remove(name);
                }

                start.Environment.Remove("ASPNETCORE_URLS");
                start.Environment["DISTSTACK_PARENT_PID"] = Environment.ProcessId.ToString();
                _log ??= new StreamWriter(new FileStream(LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
                _log.WriteLine($"===== chaos: starting node {Id} in {_namespace} at {DateTime.UtcNow:HH:mm:ss.fff}");
                var process = Process.Start(start) ?? throw new InvalidOperationException("ip netns exec did not start");
                _process = process;
                IsPaused = false;
                _ = Pump(process.StandardOutput, _log);
                _ = Pump(process.StandardError, _log);
            }
        }

        public async Task KillAsync()
        {
            Process? process;
            lock (_gate)
            {
                process = _process;
            }

            if (process is null || process.HasExited)
            {
                return;
            }

            if (IsPaused)
            {
                Resume();
            }

            process.Kill();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
            Note($"killed (SIGKILL) node {Id}");
        }

        public void Pause()
        {
            NodeProcess.Signals.Send(Pid(), NodeProcess.Signals.Stop);
            IsPaused = true;
            Note($"paused (SIGSTOP) node {Id}");
        }

        public void Resume()
        {
            NodeProcess.Signals.Send(Pid(), NodeProcess.Signals.Cont);
            IsPaused = false;
            Note($"resumed (SIGCONT) node {Id}");
        }

        public void WipeData()
        {
            if (IsRunning)
            {
                throw new InvalidOperationException($"node {Id} is running: stop it before wiping its data dir");
            }

            if (Directory.Exists(_dataDir))
            {
                Directory.Delete(_dataDir, recursive: true);
            }

            _joinOnStart = true;
            Note($"wiped the data dir {_dataDir}; starts with --join from now on");
        }

        public void Note(string text)
        {
            lock (_gate)
            {
                _log?.WriteLine($"===== chaos: {text} at {DateTime.UtcNow:HH:mm:ss.fff}");
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _process?.Dispose();
                _process = null;
                _log?.Dispose();
                _log = null;
            }
        }

        private int Pid()
        {
            lock (_gate)
            {
                return _process is { HasExited: false } p ? p.Id : throw new InvalidOperationException($"node {Id} is not running");
            }
        }

        private static async Task Pump(StreamReader source, StreamWriter log)
        {
            try
            {
                string? line;
                while ((line = await source.ReadLineAsync()) is not null)
                {
                    lock (log)
                    {
                        log.WriteLine(line);
                    }
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
            }
        }
    }
}
