using Akka.Actor;
using Akka.TestKit;
using DistStack.Actors.Actors;
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
        var leader = CreateTestProbe();
        var node = StartNode(RaftNode.Props(Settings, new Dictionary<int, IActorRef> { [2] = leader.Ref, [3] = CreateTestProbe().Ref }));
        await AwaitStatus(node, s => s.LastLogIndex >= 1, "bootstrap");
        node.Tell(new AppendEntries(Settings.ClusterId, 2, 1, 5, PrevLogIndex: 1, PrevLogTerm: 0, [], LeaderCommit: 1));
        await AwaitStatus(node, s => s.LeaderId == 2, "node 2 known as leader");

        var answer = node.Ask<NodeReply>(new ExecuteQuery(new SizeOfStack("s")), TimeSpan.FromSeconds(10));
        var request = (ReadIndexRequest)leader.FishForMessage(m => m is ReadIndexRequest, Deadline);
        node.Tell(new ReadIndexResponse(Settings.ClusterId, 2, 1, 5, request.RequestId, ReadIndex: 50, Rejected: null));

        Assert.IsType<NotStarted>(await answer);
    }
}
