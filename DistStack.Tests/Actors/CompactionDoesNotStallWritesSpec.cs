using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Sql.Snapshot;
using DistStack.Actors.Persistence;
using DistStack.Actors.Stacks;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// Saving a compaction snapshot (megabytes, once the state is big) must not hold up the clients: commands go on
/// committing while it is written, and a node restarted afterwards recovers the snapshot plus everything written
/// during the save. The real SQL snapshot store is used, behind a gate the test opens when it is done writing.
/// </summary>
public sealed class CompactionDoesNotStallWritesSpec : RaftNodeSpecBase
{
    public CompactionDoesNotStallWritesSpec(ITestOutputHelper output)
        : base(NodeSpecContext.Create(
            tweak: s => s with { SnapshotEveryEntries = 5, SnapshotLogGrowthRatio = 0 },
            overrides: ConfigurationFactory.ParseString(
                $"{PersistencePlugins.SnapshotPluginId}.class = \"{typeof(GatedSnapshotStore).AssemblyQualifiedName}\"")),
            output)
    {
        GatedSnapshotStore.Reset();
    }

    [Fact]
    public async Task Commands_commit_while_a_compaction_snapshot_is_being_saved()
    {
        var node = StartNode();
        await AwaitLeader(node);
        await ExecuteOk(node, new CreateStack("c", "s"));
        for (var i = 1; i <= 5; i++) await ExecuteOk(node, new PushValue($"p{i}", "s", $"v{i}"));
        await GatedSnapshotStore.SaveStarted.Task.WaitAsync(Deadline);

        // The save is held open: before compaction saves stopped blocking the Ready loop, these hung until it ended.
        for (var i = 6; i <= 15; i++) Assert.Equal(i, (await ExecuteOk(node, new PushValue($"p{i}", "s", $"v{i}"))).Size);
        Assert.Equal(0, (await AwaitStatus(node, _ => true, "status")).SnapshotIndex);

        GatedSnapshotStore.Open();
        await AwaitStatus(node, s => s.SnapshotIndex >= 5, "the compaction snapshot");
        var digest = (await AwaitStatus(node, s => s.AppliedIndex == s.CommitIndex, "applied")).StateDigest;

        StopNode(node);
        node = StartNode();
        await AwaitLeader(node);
        Assert.Equal(15, (await QueryOk(node, new SizeOfStack("s"))).Size);
        Assert.Equal("v15", (await QueryOk(node, new TopOfStack("s"))).Value);
        Assert.Equal(digest, (await AwaitStatus(node, s => s.AppliedIndex >= 17, "applied after restart")).StateDigest);
    }
}

/// <summary>The SQL snapshot store, except that every save waits until the test opens the gate.</summary>
public sealed class GatedSnapshotStore(Config config) : SqlSnapshotStore(config)
{
    private static TaskCompletionSource _gate = NewSignal();

    public static TaskCompletionSource SaveStarted { get; private set; } = NewSignal();

    public static void Reset()
    {
        _gate = NewSignal();
        SaveStarted = NewSignal();
    }

    public static void Open() => _gate.TrySetResult();

    protected override async Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        SaveStarted.TrySetResult();
        await _gate.Task;
        await base.SaveAsync(metadata, snapshot, cancellationToken);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
