using Akka.Actor;
using Akka.TestKit;
using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// Node 1 of three as a follower of a probe leader (node 2). A read forwarded to the leader is matched to its
/// answer by id and leader; if every incarnation of RaftNode numbered its reads from 1 again, the old leader's late
/// answer to the previous incarnation's read 1 (an old, lower read index) would answer the new read 1, after
/// newer writes were acknowledged: a stale read. Ids must be unique across incarnations.
/// </summary>
public sealed class ReadIdsAcrossIncarnationsSpec : RaftNodeSpecBase
{
    public ReadIdsAcrossIncarnationsSpec(ITestOutputHelper output)
        : base(NodeSpecContext.Create(members: 3, tweak: s => s with { ElectionTicks = 100 }), output) { }

    private static ReadIndexRequest ForwardedRead(TestProbe leader) =>
        (ReadIndexRequest)leader.FishForMessage(m => m is ReadIndexRequest, Deadline);

    [Fact]
    public async Task A_restarted_node_never_reuses_a_read_id_of_its_previous_incarnation()
    {
        var (node, leader) = await StartFollowerOfProbeLeader();
        _ = node.Ask<NodeReply>(new ExecuteQuery(new SizeOfStack("s")), TimeSpan.FromSeconds(10));
        var before = ForwardedRead(leader);

        StopNode(node);
        (node, leader) = await StartFollowerOfProbeLeader();
        var answer = node.Ask<NodeReply>(new ExecuteQuery(new SizeOfStack("s")), TimeSpan.FromSeconds(10));
        var after = ForwardedRead(leader);

        Assert.NotEqual(before.RequestId, after.RequestId);

        // The leader's answer to the new read (index 1: nothing beyond the bootstrap entry) answers it.
        node.Tell(new ReadIndexResponse(Settings.ClusterId, 2, 1, 5, after.RequestId, 1, null));
        Assert.IsType<Completed>(await answer);
    }
}
