using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Stacks;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// Every 5 applied entries the registry hands a snapshot to RaftNode, which saves it and only then compacts the
/// core's log and deletes the journal events it covers. A restarted node recovers from the snapshot plus the
/// events after it. Run on SQLite and on PostgreSQL (the subclasses below).
/// </summary>
public abstract class SnapshotRestartSpec(ITestOutputHelper output, string? persistence) : RaftNodeSpecBase(
    NodeSpecContext.Create(tweak: s => s with { SnapshotEveryEntries = 5, SnapshotLogGrowthRatio = 0 }, persistence: persistence), output)
{
    public abstract Task A_node_restarts_from_its_snapshot_and_the_compacted_journal();

    protected async Task NodeRestartsFromItsSnapshotAndTheCompactedJournal()
    {
        var node = StartNode();
        await AwaitLeader(node);
        await ExecuteOk(node, new CreateStack("c", "s"));
        for (var i = 1; i <= 20; i++) await ExecuteOk(node, new PushValue($"p{i}", "s", $"v{i}"));

        var compacted = await AwaitStatus(node, s => s.SnapshotIndex >= 15, "a snapshot at or beyond index 15");
        var stats = await node.Ask<JournalStats>(GetJournalStats.Instance);
        Assert.True(stats.SnapshotsSaved >= 1);
        // The node deletes the covered events after the snapshot is saved, without waiting: await the deletion.
        var rows = JournalRows();
        for (var clock = System.Diagnostics.Stopwatch.StartNew(); rows >= stats.Events && clock.Elapsed < Deadline; rows = JournalRows())
            await Task.Delay(20);
        Assert.True(rows < stats.Events, $"journal not compacted: {rows} live rows after {stats.Events} events");
        var digest = (await AwaitStatus(node, s => s.AppliedIndex == s.CommitIndex, "applied")).StateDigest;

        StopNode(node);
        node = StartNode();
        var recovered = await AwaitStatus(node, s => s.SnapshotIndex >= compacted.SnapshotIndex, "the snapshot after restart");
        Assert.True(recovered.SnapshotIndex >= compacted.SnapshotIndex);
        await AwaitLeader(node);

        Assert.Equal(20, (await QueryOk(node, new SizeOfStack("s"))).Size);
        Assert.Equal("v20", (await QueryOk(node, new TopOfStack("s"))).Value);
        Assert.Equal(digest, (await AwaitStatus(node, s => s.AppliedIndex == s.CommitIndex, "applied")).StateDigest);
        // A retried key from before the snapshot is still remembered (the request-key table is in the snapshot).
        Assert.Equal(1, (await ExecuteOk(node, new PushValue("p1", "s", "v1"))).Size);
        Assert.Equal(20, (await QueryOk(node, new SizeOfStack("s"))).Size);
    }
}

public sealed class SnapshotRestartOnSqliteSpec(ITestOutputHelper output) : SnapshotRestartSpec(output, null)
{
    [Fact]
    public override Task A_node_restarts_from_its_snapshot_and_the_compacted_journal() => NodeRestartsFromItsSnapshotAndTheCompactedJournal();
}

[Collection(PostgresCollection.Name)]
public sealed class SnapshotRestartOnPostgresSpec(ITestOutputHelper output, SharedPostgresServer postgres)
    : SnapshotRestartSpec(output, postgres.NodeDatabase("snapshot"))
{
    [PostgresFact]
    public override Task A_node_restarts_from_its_snapshot_and_the_compacted_journal() => NodeRestartsFromItsSnapshotAndTheCompactedJournal();
}
