namespace DistStack.Tests.Support;

/// <summary>
/// N real DistStack.Host processes on 127.0.0.1 with free HTTP and Raft ports, data dirs and logs under one
/// temp folder. Dispose kills every process (even paused ones) and removes the folder unless asked to keep it.
/// </summary>
public sealed partial class ProcessCluster : IAsyncDisposable
{
    private readonly ProcessClusterOptions _options;
    private readonly bool _ownsRoot;

    private ProcessCluster(IReadOnlyList<NodeProcess> nodes, string root, bool ownsRoot, ProcessClusterOptions options)
    {
        Nodes = nodes;
        RootDirectory = root;
        _ownsRoot = ownsRoot;
        _options = options;
        Http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
    }

    public IReadOnlyList<NodeProcess> Nodes { get; }

    public string RootDirectory { get; }

    /// <summary>The --cluster value every node got.</summary>
    public string ClusterArgument => string.Join(",", Nodes.Select(n => $"http://127.0.0.1:{n.RaftPort}"));

    /// <summary>Shared client for requests to any node; requests name the node's URL.</summary>
    public HttpClient Http { get; }

    /// <summary>Set by a test that failed, to keep the data and logs for a post-mortem.</summary>
    public bool KeepData { get; set; }

    public NodeProcess Node(int id) => Nodes[id - 1];

    public IEnumerable<NodeProcess> Serving => Nodes.Where(n => n.IsServing);

    /// <summary>Creates the nodes and starts them all.</summary>
    public static ProcessCluster Start(int nodeCount, ProcessClusterOptions? options = null)
    {
        var cluster = Create(nodeCount, options);
        foreach (var node in cluster.Nodes) node.Start();
        cluster.Log($"started {nodeCount} node(s) under {cluster.RootDirectory}: " + string.Join("; ", cluster.Nodes));
        return cluster;
    }

    /// <summary>Creates the nodes without starting them (start each with <see cref="NodeProcess.Start"/>).</summary>
    public static ProcessCluster Create(int nodeCount, ProcessClusterOptions? options = null)
    {
        if (nodeCount < 1) throw new ArgumentOutOfRangeException(nameof(nodeCount));
        options ??= new ProcessClusterOptions();
        var hostDll = options.HostDll ?? NodeProcessBuildOutput.HostDll;
        var ownsRoot = options.RootDirectory is null;
        var root = options.RootDirectory ?? Path.Combine(Path.GetTempPath(), "diststack-tests", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid():N}"[..30]);
        Directory.CreateDirectory(root);

        var ports = TestPorts.Take(2 * nodeCount);
        var raftPorts = ports.Take(nodeCount).ToList();
        var httpPorts = ports.Skip(nodeCount).ToList();
        var clusterArgument = string.Join(",", raftPorts.Select(p => $"http://127.0.0.1:{p}"));
        var founders = Math.Clamp(options.Founders ?? nodeCount, 1, nodeCount);
        var foundersArgument = string.Join(",", raftPorts.Take(founders).Select(p => $"http://127.0.0.1:{p}"));

        var nodes = new List<NodeProcess>();
        for (var id = 1; id <= nodeCount; id++)
        {
            var nodeRoot = Path.Combine(root, $"node-{id}");
            Directory.CreateDirectory(nodeRoot);
            var dataDir = Path.Combine(nodeRoot, "data");
            var arguments = new List<string>
            {
                "--id", id.ToString(), "--cluster", id <= founders ? foundersArgument : clusterArgument,
                "--port", httpPorts[id - 1].ToString(), "--data-dir", dataDir,
            };
            if (id > founders) arguments.Add("--join");
            if (options.ExtraArguments is not null) arguments.AddRange(options.ExtraArguments(id));
            nodes.Add(new NodeProcess(id, httpPorts[id - 1], raftPorts[id - 1], dataDir, Path.Combine(nodeRoot, "node.log"),
                hostDll, arguments, options.Environment));
        }
        return new ProcessCluster(nodes, root, ownsRoot, options);
    }

    /// <summary>The last lines of every node's log: attach this to a failure message.</summary>
    public string DescribeLogs(int linesPerNode = 40) =>
        string.Join("\n", Nodes.Select(n =>
            $"----- {n} {(n.IsRunning ? (n.IsPaused ? "paused" : "running") : $"exited {n.ExitCode}")}, log {n.LogPath}\n{SafeTail(n, linesPerNode)}"));

    public void Log(string line) => _options.Log?.Invoke($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            try
            {
                await node.DisposeAsync();
            }
            catch (Exception e)
            {
                Log($"disposing {node}: {e.Message}");
            }
        }
        Http.Dispose();

        var keep = KeepData || _options.KeepData || Environment.GetEnvironmentVariable("DISTSTACK_KEEP_TEST_DATA") == "1";
        if (keep || !_ownsRoot)
        {
            Log($"kept data and logs in {RootDirectory}");
            return;
        }
        try
        {
            Directory.Delete(RootDirectory, recursive: true);
        }
        catch (IOException e)
        {
            Log($"could not delete {RootDirectory}: {e.Message}");
        }
    }

    private static string SafeTail(NodeProcess node, int lines)
    {
        try
        {
            return node.TailLog(lines);
        }
        catch (IOException e)
        {
            return $"(no log: {e.Message})";
        }
    }
}
