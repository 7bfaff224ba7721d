using DistStack.Tests.Support;

namespace DistStack.Tests.Host;

/// <summary>One real DistStack.Host process (a one-node cluster), shared by the HTTP API tests.</summary>
public sealed class SingleNodeFixture : IAsyncLifetime
{
    public ProcessCluster Cluster { get; private set; } = null!;

    public NodeProcess Node => Cluster.Node(1);

    public async Task InitializeAsync()
    {
        Cluster = ProcessCluster.Start(1);
        var serving = await ProcessCluster.EventuallyAsync(
            async () => await Cluster.SendAsync(Node, HttpMethod.Get, "/health") is { Status: 200 }, TimeSpan.FromSeconds(30));
        if (!serving) throw new TimeoutException($"the node did not serve /health within 30 s\n{Cluster.DescribeLogs()}");
    }

    /// <summary>A one-node cluster elects itself; API tests that reach Raft wait for that first.</summary>
    public Task WaitForLeaderAsync() => Cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
