using DistStack.Actors.Stacks;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// The windows of the at-most-once table, end to end through one node's RaftNode, journal and state machine:
/// a key the client chose outlives the entry window (the leader stamps its time into the log, and the state
/// machine keeps client keys for a time window too); a key a node generated does not. The windows are shrunk
/// to 5 entries and 10 minutes so the edge is reachable in a test.
/// </summary>
public sealed class ClientKeyWindowSpec : RaftNodeSpecBase
{
    public ClientKeyWindowSpec(ITestOutputHelper output)
        : base(NodeSpecContext.Create(tweak: s => s with
        {
            StateMachine = new StackStateOptions(DedupWindowEntries: 5, ClientKeyWindowMs: 10 * 60 * 1000),
        }), output) { }

    [Fact]
    public async Task A_client_key_retried_after_the_entry_window_applies_once_but_a_generated_key_does_not_last()
    {
        var node = StartNode();
        await AwaitLeader(node);
        await ExecuteOk(node, new CreateStack("c", "s"));
        var clientPush = new PushValue("client-key", "s", "a") { KeyFromClient = true };
        Assert.Equal(1, (await ExecuteOk(node, clientPush)).Size);
        Assert.Equal(2, (await ExecuteOk(node, new PushValue("generated-key", "s", "b"))).Size);
        for (var i = 0; i < 20; i++) await ExecuteOk(node, new PushValue($"other-{i}", "t", "x"));

        // 20 entries later: the client's retry gets its first answer; the generated key was forgotten.
        Assert.Equal(1, (await ExecuteOk(node, clientPush)).Size);
        Assert.Equal(3, (await ExecuteOk(node, new PushValue("generated-key", "s", "b"))).Size);
        Assert.Equal(3, (await QueryOk(node, new SizeOfStack("s"))).Size);

        // The journal keeps the stamp and the key's kind: after a restart the retry is still answered once.
        StopNode(node);
        var restarted = StartNode();
        await AwaitLeader(restarted);
        for (var i = 0; i < 10; i++) await ExecuteOk(restarted, new PushValue($"more-{i}", "t", "x"));
        Assert.Equal(1, (await ExecuteOk(restarted, clientPush)).Size);
        Assert.Equal(3, (await QueryOk(restarted, new SizeOfStack("s"))).Size);
    }
}
