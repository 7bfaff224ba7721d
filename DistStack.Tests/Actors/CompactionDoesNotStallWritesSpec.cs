using System.Collections.Concurrent;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.Sql.Snapshot;
using DistStack.Actors.Persistence;
using DistStack.Actors.Stacks;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// Saving a compaction snapshot (megabytes, once the state is big) must not hold up the clients: commands go on
/// committing while it is written, and a node restarted afterwards recovers the snapshot plus everything written
/// during the save. The real SQL snapshot store is used (SQLite, and PostgreSQL in the subclass below), behind a
/// gate the test opens when it is done writing.
/// </summary>
public abstract class CompactionDoesNotStallWritesSpec : RaftNodeSpecBase
{
    private readonly SnapshotGate _gate;

    protected CompactionDoesNotStallWritesSpec(ITestOutputHelper output, string? persistence) : this(SnapshotGate.Create(), output, persistence) { }

    private CompactionDoesNotStallWritesSpec(SnapshotGate gate, ITestOutputHelper output, string? persistence)
        : base(NodeSpecContext.Create(
            tweak: s => s with { SnapshotEveryEntries = 5, SnapshotLogGrowthRatio = 0 },
            overrides: ConfigurationFactory.ParseString($"""
                {PersistencePlugins.SnapshotPluginId}.class = "{typeof(GatedSnapshotStore).AssemblyQualifiedName}"
                {PersistencePlugins.SnapshotPluginId}.gate-id = "{gate.Id}"
                """),
            persistence: persistence),
            output) => _gate = gate;

    public abstract Task Commands_commit_while_a_compaction_snapshot_is_being_saved();

    protected async Task CommandsCommitWhileACompactionSnapshotIsBeingSaved()
    {
        var node = StartNode();
        await AwaitLeader(node);
        await ExecuteOk(node, new CreateStack("c", "s"));
        for (var i = 1; i <= 5; i++) await ExecuteOk(node, new PushValue($"p{i}", "s", $"v{i}"));
        await _gate.SaveStarted.Task.WaitAsync(Deadline);

        // The save is held open: before compaction saves stopped blocking the Ready loop, these hung until it ended.
        for (var i = 6; i <= 15; i++) Assert.Equal(i, (await ExecuteOk(node, new PushValue($"p{i}", "s", $"v{i}"))).Size);
        Assert.Equal(0, (await AwaitStatus(node, _ => true, "status")).SnapshotIndex);

        _gate.Open();
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

public sealed class CompactionDoesNotStallWritesOnSqliteSpec(ITestOutputHelper output) : CompactionDoesNotStallWritesSpec(output, null)
{
    [Fact]
    public override Task Commands_commit_while_a_compaction_snapshot_is_being_saved() => CommandsCommitWhileACompactionSnapshotIsBeingSaved();
}

[Collection(PostgresCollection.Name)]
public sealed class CompactionDoesNotStallWritesOnPostgresSpec(ITestOutputHelper output, SharedPostgresServer postgres)
    : CompactionDoesNotStallWritesSpec(output, postgres.NodeDatabase("compaction"))
{
    [PostgresFact]
    public override Task Commands_commit_while_a_compaction_snapshot_is_being_saved() => CommandsCommitWhileACompactionSnapshotIsBeingSaved();
}

/// <summary>
/// Holds a snapshot save open until the test opens it. One per spec instance, found by the id in the store's config,
/// so the SQLite and PostgreSQL runs of the spec (which may run at the same time) never share a gate.
/// </summary>
public sealed class SnapshotGate
{
    private static readonly ConcurrentDictionary<string, SnapshotGate> Gates = new();
    private readonly TaskCompletionSource _open = NewSignal();

    private SnapshotGate(string id) => Id = id;

    public string Id { get; }
    public TaskCompletionSource SaveStarted { get; } = NewSignal();
    public Task Opened => _open.Task;

    public static SnapshotGate Create()
    {
        var gate = new SnapshotGate(Guid.NewGuid().ToString("n"));
        Gates[gate.Id] = gate;
        return gate;
    }

    public static SnapshotGate Get(string id) => Gates[id];

    public void Open() => _open.TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The SQL snapshot store, except that every save waits until the test opens its gate.</summary>
public sealed class GatedSnapshotStore(Config config) : SqlSnapshotStore(config)
{
    private readonly SnapshotGate _gate = SnapshotGate.Get(config.GetString("gate-id"));

    protected override async Task SaveAsync(SnapshotMetadata metadata, object snapshot, CancellationToken cancellationToken)
    {
        _gate.SaveStarted.TrySetResult();
        await _gate.Opened;
        await base.SaveAsync(metadata, snapshot, cancellationToken);
    }
}
