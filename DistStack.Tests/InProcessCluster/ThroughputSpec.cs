using System.Diagnostics;
using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Stacks;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.InProcessCluster;

/// <summary>
/// 64 closed-loop clients against a three-node cluster: every command is replicated and fsync'd on a majority.
/// Prints throughput and how many journal events each fsync'd write carried on the leader (group commit);
/// asserts only completeness and that batching happened.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ThroughputSpec(ITestOutputHelper output)
{
    [Fact]
    public async Task Concurrent_clients_are_group_committed_on_a_three_node_cluster()
    {
        const int clients = 64, perClient = 40;
        await using var nodes = InProcessNodes.Start(3, output);
        var leader = await nodes.AwaitLeader();
        await nodes.Commit(new CreateStack("create", "t"), via: leader);
        // Warm-up (JIT, connections, pools), not measured.
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c =>
            nodes.Node(leader).Ask<NodeReply>(new ExecuteCommand(new CreateStack($"w{c}", $"warm-{c}")), TimeSpan.FromSeconds(10))));
        var before = await nodes.Node(leader).Ask<JournalStats>(GetJournalStats.Instance, TimeSpan.FromSeconds(5));

        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            for (var i = 0; i < perClient; i++)
            {
                var reply = await nodes.Node(leader).Ask<NodeReply>(
                    new ExecuteCommand(new PushValue($"c{c}-{i}", "t", "x")), TimeSpan.FromSeconds(10));
                Assert.IsType<Completed>(reply);
            }
        }));
        stopwatch.Stop();

        var after = await nodes.Node(leader).Ask<JournalStats>(GetJournalStats.Instance, TimeSpan.FromSeconds(5));
        var writes = after.Writes - before.Writes;
        var events = after.Events - before.Events;
        const int total = clients * perClient;
        nodes.Log($"3 nodes, {clients} closed-loop clients: {total} commands in {stopwatch.ElapsedMilliseconds} ms " +
                  $"({total / stopwatch.Elapsed.TotalSeconds:F0} commits/s); leader journal: {events} events in {writes} writes " +
                  $"({writes / stopwatch.Elapsed.TotalSeconds:F0} fsync'd writes/s, {(double)events / writes:F1} events per write)");
        Assert.Equal(total, (await nodes.Query(new SizeOfStack("t"), via: leader)).Size);
        Assert.True(writes < total, "no group commit on the leader");
        await nodes.AwaitConverged();
    }
}
