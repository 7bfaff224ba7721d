using Akka.Actor;
using Akka.TestKit;
using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// Node 1 of three leads with votes granted by probes that then never acknowledge an append: nothing commits,
/// so every accepted proposal stays in flight. Beyond the configured bound, a command is refused at once.
/// </summary>
public sealed class BackpressureSpec : RaftNodeSpecBase
{
    public BackpressureSpec(ITestOutputHelper output)
        : base(NodeSpecContext.Create(members: 3, tweak: s => s with
        {
            MaxInFlightProposals = 2,
            NoLeaderWait = TimeSpan.FromMilliseconds(500),
        }), output) { }

    [Fact]
    public async Task Without_a_leader_a_command_waits_a_bounded_time_then_is_not_started()
    {
        // Peers that never answer: node 1 never learns of a leader and never wins an election.
        var node = StartNode(RaftNode.Props(Settings, new Dictionary<int, IActorRef>
        {
            [2] = CreateTestProbe().Ref,
            [3] = CreateTestProbe().Ref,
        }));
        await AwaitStatus(node, s => s.LastLogIndex >= 1, "bootstrap");

        var reply = await node.Ask<NodeReply>(new ExecuteCommand(new CreateStack("k", "s")), TimeSpan.FromSeconds(10));
        var query = await node.Ask<NodeReply>(new ExecuteQuery(new SizeOfStack("s")), TimeSpan.FromSeconds(10));

        Assert.Equal("no leader", Assert.IsType<NotStarted>(reply).Reason);
        Assert.Equal("no leader", Assert.IsType<NotStarted>(query).Reason);
    }

    [Fact]
    public async Task Commands_beyond_the_in_flight_bound_are_refused_immediately_and_not_applied()
    {
        var node2 = CreateTestProbe();
        var node3 = CreateTestProbe();
        var node = StartNode(RaftNode.Props(Settings, new Dictionary<int, IActorRef> { [2] = node2.Ref, [3] = node3.Ref }));
        await ElectWithProbeVotes(node, node2, node3);

        var client = CreateTestProbe();
        node.Tell(new ExecuteCommand(new CreateStack("k1", "s")), client.Ref);
        node.Tell(new ExecuteCommand(new CreateStack("k2", "t")), client.Ref);
        var refused = await node.Ask<NodeReply>(new ExecuteCommand(new CreateStack("k3", "u")), TimeSpan.FromSeconds(5));

        var notStarted = Assert.IsType<NotStarted>(refused);
        Assert.Contains("overloaded", notStarted.Reason);
        var status = await AwaitStatus(node, _ => true, "status");
        Assert.Equal(1, status.CommitIndex); // only the bootstrap entry: nothing was applied
    }

    /// <summary>Plays voters 2 and 3: grants node 1's pre-vote and vote until it leads.</summary>
    private async Task ElectWithProbeVotes(IActorRef node, TestProbe node2, TestProbe node3)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var probe in new[] { node2, node3 })
            {
                var message = probe.ReceiveOne(TimeSpan.FromMilliseconds(50));
                if (message is RequestVote vote)
                    node.Tell(new RequestVoteResponse(vote.ClusterId, vote.To, vote.From, vote.Term, vote.PreVote, Granted: true));
            }
            try
            {
                // Stashed while the node recovers (first start creates the SQLite tables): keep playing voters.
                var status = await node.Ask<NodeStatus>(GetNodeStatus.Instance, TimeSpan.FromMilliseconds(200));
                if (status.Role == RaftRole.Leader) return;
            }
            catch (AskTimeoutException) { }
        }
        throw new TimeoutException("node 1 did not become leader with the probes' votes");
    }
}
