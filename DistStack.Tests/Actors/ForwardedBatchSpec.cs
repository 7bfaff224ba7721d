using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Stacks;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// Forwarded writes in batches, on a real RaftNode: a follower batches its writes only toward a leader that said it
/// reads batches (an older leader gets one ForwardedCommand per write, as before), matches the answers by id, and a
/// leader answers a batch's writes by the follower's ids.
/// </summary>
public sealed class ForwardedBatchSpec : RaftNodeSpecBase
{
    public ForwardedBatchSpec(ITestOutputHelper output)
        : base(NodeSpecContext.Create(members: 3), output) { }

    private static readonly StackResult Size1 = new(StackOutcome.Ok, Size: 1);

    [Fact]
    public async Task Toward_a_leader_that_never_said_it_reads_batches_each_write_is_forwarded_alone()
    {
        var (node, leader) = await StartFollowerOfProbeLeader();

        var pending = Execute(node, new PushValue("key-1", "s", "a"));

        var forwarded = (ForwardedCommand)leader.FishForMessage(m => m is ForwardedCommand or ForwardedCommands, Deadline);
        Assert.Equal(new PushValue("key-1", "s", "a"), forwarded.Command);
        leader.Reply(new Completed(Size1));
        Assert.Equal(new Completed(Size1), await pending);
    }

    [Fact]
    public async Task Toward_a_leader_that_reads_batches_writes_travel_together_and_each_client_gets_its_own_answer()
    {
        var (node, leader) = await StartFollowerOfProbeLeader();
        node.Tell(new ForwardedBatchesSupported(Settings.ClusterId, 2));
        AnnounceProbeLeader(node); // however long the start took, node 1 still follows the probe

        var first = Execute(node, new PushValue("key-1", "s", "a"));
        var second = Execute(node, new PushValue("key-2", "s", "b"));

        // Each write's id, by request key. On a slow machine a write can be re-sent before the other one's copy
        // arrives: a re-sent copy carries its write's id again.
        var ids = new Dictionary<string, long>();
        while (ids.Count < 2)
        {
            var batch = (ForwardedCommands)leader.FishForMessage(m => m is ForwardedCommand or ForwardedCommands, Deadline);
            Assert.Equal((Settings.ClusterId, 1), (batch.ClusterId, batch.OriginNodeId));
            foreach (var copy in batch.Writes)
                Assert.Equal(copy.WriteId, ids.TryAdd(copy.Command.RequestKey, copy.WriteId) ? copy.WriteId : ids[copy.Command.RequestKey]);
        }
        // The answers come back in one message, in any order, each under its write's id.
        leader.Reply(new ForwardedAnswers(Settings.ClusterId, 2,
        [
            new ForwardedAnswer(ids["key-2"], new Completed(new StackResult(StackOutcome.Ok, Size: 2))),
            new ForwardedAnswer(ids["key-1"], new Completed(Size1)),
        ]));

        Assert.NotEqual(ids["key-1"], ids["key-2"]);
        Assert.Equal(new Completed(Size1), await first);
        Assert.Equal(new Completed(new StackResult(StackOutcome.Ok, Size: 2)), await second);
    }

    [Fact]
    public async Task A_new_leader_whose_advert_comes_after_it_is_learned_still_gets_the_writes_already_forwarded()
    {
        // Seen in a five-node run: the link from the new leader to this follower had been dead, so its adverts were
        // missing when the follower learned it; the write forwarded to the killed leader kept being re-sent there.
        var newLeader = CreateTestProbe();
        var (node, oldLeader) = await StartFollowerOfProbeLeader(node3: newLeader);
        node.Tell(new ForwardedBatchesSupported(Settings.ClusterId, 2));
        AnnounceProbeLeader(node); // however long the start took, node 1 still follows the probe

        var pending = Execute(node, new PushValue("key-1", "s", "a"));
        oldLeader.FishForMessage(m => m is ForwardedCommands, Deadline);

        // Node 2 dies; node 3 leads term 6, and only then says that it reads batches.
        AnnounceProbeLeader(node, leader: 3, term: 6);
        await AwaitStatus(node, s => s.LeaderId == 3, "node 3 known as leader");
        node.Tell(new ForwardedBatchesSupported(Settings.ClusterId, 3));

        var copy = ((ForwardedCommands)newLeader.FishForMessage(m => m is ForwardedCommands, Deadline)).Writes.Single();
        Assert.Equal("key-1", copy.Command.RequestKey);
        newLeader.Reply(new ForwardedAnswers(Settings.ClusterId, 3, [new ForwardedAnswer(copy.WriteId, new Completed(Size1))]));
        Assert.Equal(new Completed(Size1), await pending);
    }

    [Fact]
    public async Task An_answer_under_an_id_this_node_never_gave_is_ignored_and_the_write_still_gets_its_own()
    {
        var (node, leader) = await StartFollowerOfProbeLeader();
        node.Tell(new ForwardedBatchesSupported(Settings.ClusterId, 2));
        AnnounceProbeLeader(node);

        var pending = Execute(node, new PushValue("key-1", "s", "a"));
        var copy = ((ForwardedCommands)leader.FishForMessage(m => m is ForwardedCommand or ForwardedCommands, Deadline)).Writes.Single();
        leader.Reply(new ForwardedAnswers(Settings.ClusterId, 2, [new ForwardedAnswer(copy.WriteId + 1, new NotStarted("someone else's"))]));
        leader.Reply(new ForwardedAnswers(Settings.ClusterId, 2, [new ForwardedAnswer(copy.WriteId, new Completed(Size1))]));

        Assert.Equal(new Completed(Size1), await pending);
    }

    [Fact]
    public async Task Every_member_hears_that_this_node_reads_batches()
    {
        var (_, leader) = await StartFollowerOfProbeLeader();
        var advert = (ForwardedBatchesSupported)leader.FishForMessage(m => m is ForwardedBatchesSupported, Deadline);
        Assert.Equal((Settings.ClusterId, 1), (advert.ClusterId, advert.From));
    }
}
