using DistStack.Tests.Support;
using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using Akka.Remote;
using Akka.Remote.Transport;
using DistStack.Actors.Node;
using DistStack.Actors.Hosting;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;
using DistStack.Tests.NodeActors;
using Xunit.Abstractions;

namespace DistStack.Tests.InProcessCluster;

/// <summary>
/// N real nodes in this process: one ActorSystem each on 127.0.0.1 with a free port, real Akka.Remote (with the
/// throttler adapter, for partitions) and real SQLite files in a temp data directory per node. Nodes can be
/// killed (system terminated at once, no hand-over) and restarted on the same data directory and port.
/// </summary>
public sealed class InProcessNodes : IAsyncDisposable
{
    public static readonly IReadOnlyList<string> Adapters = ["trttl", "gremlin"];

    private static readonly Config TestOverrides = ConfigurationFactory.ParseString("""
        akka.loglevel = INFO
        akka.cluster.log-info = off
        # A kill is a crash: no coordinated shutdown, no graceful cluster leave, no leadership hand-over.
        akka.coordinated-shutdown.run-by-actor-system-terminate = off
        """);

    private readonly ITestOutputHelper _output;
    private readonly DistStackNode?[] _nodes;
    private readonly RaftNodeSettings[] _settings;

    private readonly IReadOnlyList<string> _adapters;

    private InProcessNodes(RaftNodeSettings[] settings, ITestOutputHelper output, IReadOnlyList<string> adapters)
    {
        _settings = settings;
        _output = output;
        _adapters = adapters;
        _nodes = new DistStackNode?[settings.Length];
    }

    public int Count => _settings.Length;

    /// <summary>Node ids (1-based) of the nodes currently running.</summary>
    public IEnumerable<int> Running => Enumerable.Range(1, Count).Where(id => _nodes[id - 1] is not null);

    /// <param name="withThrottler">Apply the throttler/failure-injector transport adapters (needed for Partition).</param>
    public static InProcessNodes Start(int count, ITestOutputHelper output, bool withThrottler = false,
        Func<RaftNodeSettings, RaftNodeSettings>? tweak = null)
    {
        var ports = Enumerable.Range(0, count).Select(_ => TestPorts.Take()).ToList();
        var settings = Enumerable.Range(1, count)
            .Select(id =>
            {
                var s = NodeSpecContext.NewSettings(NodeSpecContext.TempDirectory(), count, id, ports);
                return tweak is null ? s : tweak(s);
            })
            .ToArray();
        var nodes = new InProcessNodes(settings, output, withThrottler ? Adapters : []);
        for (var id = 1; id <= count; id++) nodes.StartNode(id);
        return nodes;
    }

    public void StartNode(int id)
    {
        if (_nodes[id - 1] is not null) throw new InvalidOperationException($"node {id} is running");
        _nodes[id - 1] = DistStackNode.Create(_settings[id - 1], _adapters, TestOverrides);
    }

    /// <summary>Node <paramref name="id"/>'s ActorSystem (its event stream, its address).</summary>
    public ActorSystem System(int id) => (_nodes[id - 1] ?? throw new InvalidOperationException($"node {id} is down")).System;

    public RaftNodeSettings Settings(int id) => _settings[id - 1];

    public IActorRef Node(int id) => (_nodes[id - 1] ?? throw new InvalidOperationException($"node {id} is down")).RaftNode;

    /// <summary>Terminates the node's ActorSystem at once (a crash as far as its peers can tell).</summary>
    public async Task Kill(int id)
    {
        var node = _nodes[id - 1] ?? throw new InvalidOperationException($"node {id} is down");
        _nodes[id - 1] = null;
        await node.DisposeAsync();
    }

    public async Task<NodeStatus?> TryStatus(int id)
    {
        try { return await Node(id).Ask<NodeStatus>(GetNodeStatus.Instance, TimeSpan.FromSeconds(1)); }
        catch (AskTimeoutException) { return null; }
    }

    /// <summary>The id of the leader every running node in <paramref name="among"/> agrees on.</summary>
    public async Task<int> AwaitLeader(IEnumerable<int>? among = null, int? not = null, TimeSpan? within = null)
    {
        var ids = (among ?? Running).ToList();
        return await Eventually(async () =>
        {
            var statuses = await Task.WhenAll(ids.Select(TryStatus));
            var leaders = statuses.Where(s => s is { Role: RaftRole.Leader }).ToList();
            if (leaders.Count != 1 || statuses.Any(s => s is null)) return (int?)null;
            var leader = leaders[0]!;
            if (leader.NodeId == not) return null;
            return statuses.All(s => s!.LeaderId == leader.NodeId && s.Term == leader.Term) ? leader.NodeId : null;
        }, "an agreed leader", within ?? TimeSpan.FromSeconds(20));
    }

    /// <summary>
    /// Sends the command to <paramref name="via"/> until it completes, like a client retrying with the same
    /// request key (safe: applied at most once). Returns the result.
    /// </summary>
    public async Task<StackResult> Commit(StackCommand command, int via, TimeSpan? within = null)
    {
        return await Eventually(async () =>
        {
            if (_nodes[via - 1] is null) return null;
            try
            {
                var reply = await Node(via).Ask<NodeReply>(new ExecuteCommand(command), TimeSpan.FromSeconds(2));
                return reply is Completed completed ? completed.Result : null;
            }
            catch (AskTimeoutException) { return null; }
        }, $"commit of {command} via node {via}", within ?? TimeSpan.FromSeconds(20));
    }

    public async Task<StackResult> Query(StackQuery query, int via)
    {
        return await Eventually(async () =>
        {
            try
            {
                var reply = await Node(via).Ask<NodeReply>(new ExecuteQuery(query), TimeSpan.FromSeconds(2));
                return reply is Completed completed ? completed.Result : null;
            }
            catch (AskTimeoutException) { return null; }
        }, $"{query} via node {via}", TimeSpan.FromSeconds(20));
    }

    /// <summary>
    /// Every node in <paramref name="ids"/> has applied the same index with the same state digest; returns it.
    /// </summary>
    public async Task<(long Applied, string Digest)> AwaitConverged(IEnumerable<int>? ids = null, long atLeast = 0)
    {
        var members = (ids ?? Running).ToList();
        return await Eventually(async () =>
        {
            var statuses = await Task.WhenAll(members.Select(TryStatus));
            if (statuses.Any(s => s is null)) return ((long, string)?)null;
            var first = statuses[0]!;
            if (first.AppliedIndex < atLeast) return null;
            return statuses.All(s => s!.AppliedIndex == first.AppliedIndex && s.StateDigest == first.StateDigest)
                ? (first.AppliedIndex, first.StateDigest)
                : null;
        }, $"nodes [{string.Join(", ", members)}] converged at >= {atLeast}", TimeSpan.FromSeconds(30));
    }

    /// <summary>Cuts (or heals) every link between the two groups, in both directions, inside Akka.Remote.</summary>
    public async Task Partition(IReadOnlyCollection<int> sideA, IReadOnlyCollection<int> sideB, bool heal = false)
    {
        ThrottleMode mode = heal ? Unthrottled.Instance : Blackhole.Instance;
        foreach (var a in sideA)
        foreach (var b in sideB)
        {
            await SetThrottle(a, b, mode);
            await SetThrottle(b, a, mode);
        }
    }

    private async Task SetThrottle(int from, int to, ThrottleMode mode)
    {
        var node = _nodes[from - 1];
        if (node is null) return;
        var system = (ExtendedActorSystem)node.System;
        var target = _settings[to - 1].Self;
        var address = new Address(system.Provider.DefaultAddress.Protocol, NodeConfig.ActorSystemName, target.Host, target.Port);
        var transport = ((IRemoteActorRefProvider)system.Provider).Transport;
        Assert.True(await transport.ManagementCommand(new SetThrottle(address, ThrottleTransportAdapter.Direction.Both, mode)),
            $"throttle {from}->{to} not applied");
    }

    public void Log(string line) => _output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {line}");

    public static async Task<T> Eventually<T>(Func<Task<T?>> attempt, string what, TimeSpan within)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < within)
        {
            var result = await attempt();
            if (result is not null) return result;
            await Task.Delay(10);
        }
        throw new TimeoutException($"Timed out after {within.TotalSeconds:F0} s waiting for {what}.");
    }

    public static async Task<T> Eventually<T>(Func<Task<T?>> attempt, string what, TimeSpan within) where T : struct
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < within)
        {
            var result = await attempt();
            if (result is { } value) return value;
            await Task.Delay(10);
        }
        throw new TimeoutException($"Timed out after {within.TotalSeconds:F0} s waiting for {what}.");
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_nodes.Where(n => n is not null).Select(n => n!.DisposeAsync().AsTask()));
        foreach (var settings in _settings)
        {
            try { Directory.Delete(settings.DataDirectory, recursive: true); }
            catch (IOException) { }
        }
    }
}
