using DistStack.Tests.Support;

namespace DistStack.Tests.Processes;

/// <summary>A single node (the seed's one-node command line) keeps every acknowledged write across SIGKILL.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SingleNodeRestartTests : IAsyncLifetime
{
    private ProcessCluster _cluster = null!;

    public Task InitializeAsync()
    {
        _cluster = ProcessCluster.Start(1);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Acknowledged_writes_survive_SIGKILL_and_restart_with_the_same_data_dir()
    {
        var node = _cluster.Node(1);
        await _cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("201 1", (await _cluster.PostAsync(node, "/sCreate", "1"))?.ToString());
        for (var i = 1; i <= 3; i++)
            Assert.Equal($"200 {i}", (await _cluster.PostAsync(node, "/sPush", $"1,v{i}"))?.ToString());
        Assert.Equal("200 v3", (await _cluster.PostAsync(node, "/sPop", "1", "pop-once"))?.ToString());

        await node.RestartAsync();
        await _cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("200 2", (await _cluster.PostAsync(node, "/sSize", "1"))?.ToString());
        Assert.Equal("200 v2", (await _cluster.PostAsync(node, "/sTop", "1"))?.ToString());
        // The request-key table survived too: the retried pop answers as before and pops nothing.
        Assert.Equal("200 v3", (await _cluster.PostAsync(node, "/sPop", "1", "pop-once"))?.ToString());
        Assert.Equal("200 2", (await _cluster.PostAsync(node, "/sSize", "1"))?.ToString());
        Assert.Equal(2, node.Starts);
    }

    /// <summary>The cap must be set before the runtime's threads multiply (NativeHeapLimits); the startup line says whether it was.</summary>
    [Fact]
    public async Task A_node_on_glibc_caps_its_malloc_arenas_and_says_so()
    {
        if (!OperatingSystem.IsLinux()) return;
        await _cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("malloc arenas capped at 2", _cluster.Node(1).ReadLog());
    }
}
