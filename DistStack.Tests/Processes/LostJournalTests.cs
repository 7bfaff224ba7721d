using DistStack.Tests.Support;

namespace DistStack.Tests.Processes;

/// <summary>
/// A node whose identity file says it bootstrapped but whose journal is gone must not come back as a blank voter
/// (it would forget its term, vote and acknowledged entries): the process exits with code 4 and says what happened
/// and what to do. A first boot that crashed before its bootstrap was durable is not such a node: it starts.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class LostJournalTests : IAsyncLifetime
{
    private ProcessCluster _cluster = null!;

    public Task InitializeAsync()
    {
        _cluster = ProcessCluster.Start(1);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static void DeleteJournal(string dataDir)
    {
        foreach (var file in Directory.GetFiles(dataDir).Where(f => Path.GetFileName(f).StartsWith("journal.db") || Path.GetFileName(f).StartsWith("snapshots.db")))
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_node_whose_journal_was_deleted_refuses_to_start_and_exits_with_code_4()
    {
        var node = _cluster.Node(1);
        await _cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("201 1", (await _cluster.PostAsync(node, "/sCreate", "1"))?.ToString());
        Assert.Contains("\"Bootstrapped\": true", File.ReadAllText(Path.Combine(node.DataDir, "identity.json")));

        await node.KillAsync();
        DeleteJournal(node.DataDir);
        node.Start();

        Assert.Equal(4, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("journal is empty", node.ReadLog());
    }

    [Fact]
    public async Task A_first_boot_that_crashed_before_its_bootstrap_was_durable_starts_normally()
    {
        var node = _cluster.Node(1);
        await _cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        await node.KillAsync();
        // As if killed between writing identity.json and the bootstrap write: the flag is still false.
        DeleteJournal(node.DataDir);
        var identity = Path.Combine(node.DataDir, "identity.json");
        File.WriteAllText(identity, File.ReadAllText(identity).Replace("\"Bootstrapped\": true", "\"Bootstrapped\": false"));

        node.Start();
        await _cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("201 1", (await _cluster.PostAsync(node, "/sCreate", "1"))?.ToString());
    }
}
