using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Stacks;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// The read a backup is made of: <see cref="CaptureState"/> answers with the registry's whole state at or after its
/// read index, the term of the entry at that index and the configuration in force there, whether the registry
/// applied the log from the start or was restored from a snapshot (after a restart, snapshots every 5 entries).
/// </summary>
public sealed class CaptureStateSpec(ITestOutputHelper output) : RaftNodeSpecBase(
    NodeSpecContext.Create(tweak: s => s with { SnapshotEveryEntries = 5, SnapshotLogGrowthRatio = 0 }), output)
{
    private async Task<StateCaptured> Capture(IActorRef node) =>
        Assert.IsType<StateCaptured>(await node.Ask<object>(new ExecuteQuery(new CaptureState()), TimeSpan.FromSeconds(10)));

    [Fact]
    public async Task A_capture_holds_every_acknowledged_write_with_the_term_and_configuration_of_its_index()
    {
        var node = StartNode();
        await AwaitLeader(node);
        await ExecuteOk(node, new CreateStack("c", "s"));
        for (var i = 1; i <= 7; i++) await ExecuteOk(node, new PushValue($"p{i}", "s", $"v{i}"));
        var before = await AwaitStatus(node, s => s.AppliedIndex == s.CommitIndex, "applied");

        var captured = await Capture(node);
        Assert.True(captured.State.AppliedIndex >= before.CommitIndex);
        Assert.Equal(before.Term, captured.Term);
        Assert.Equal(Settings.InitialConfiguration, captured.Configuration);
        Assert.Equal(Enumerable.Range(1, 7).Reverse().Select(i => $"v{i}"), captured.State.ValuesTopDown("s"));
        Assert.Equal(before.StateDigest, captured.State.Digest.ToString("x16"));

        // Restarted, the registry starts from the snapshot (its term and configuration come from its metadata), then
        // applies the new term's no-op.
        await AwaitStatus(node, s => s.SnapshotIndex >= 5, "a snapshot");
        StopNode(node);
        node = StartNode();
        var after = await AwaitLeader(node);
        Assert.True(after.Term > before.Term);
        var again = await Capture(node);
        Assert.True(again.State.AppliedIndex >= after.CommitIndex);
        Assert.Equal(after.Term, again.Term);
        Assert.Equal(Settings.InitialConfiguration, again.Configuration);
        Assert.Equal(captured.State.Digest, again.State.Digest);
    }
}
