using Akka.Actor;
using Akka.TestKit;
using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// Node 1 of three, follower of a probe leader. A read confirmed by the leader at an index this node never applies
/// (it stopped catching up) must be answered within the request timeout as not started (503: a read changes
/// nothing, retry anywhere), not left waiting until the client gives up with "outcome unknown".
/// </summary>
public sealed class ReadDeadlineSpec : RaftNodeSpecBase
{
    public ReadDeadlineSpec(ITestOutputHelper output)
        : base(NodeSpecContext.Create(members: 3, tweak: s => s with { ElectionTicks = 100, RequestTimeout = TimeSpan.FromSeconds(1) }), output) { }

    [Fact]
    public async Task A_read_the_node_cannot_serve_in_time_is_answered_not_started()
    {
        var (node, leader) = await StartFollowerOfProbeLeader();

        var answer = node.Ask<NodeReply>(new ExecuteQuery(new SizeOfStack("s")), TimeSpan.FromSeconds(10));
        var request = (ReadIndexRequest)leader.FishForMessage(m => m is ReadIndexRequest, Deadline);
        node.Tell(new ReadIndexResponse(Settings.ClusterId, 2, 1, 5, request.RequestId, ReadIndex: 50, Rejected: null));

        Assert.IsType<NotStarted>(await answer);
    }
}
