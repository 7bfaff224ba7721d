using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Shell;
using DistStack.Actors.Stacks;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// The upgrade rule for new command kinds, on a real RaftNode: a batch is neither proposed nor forwarded until every
/// member has said it reads format 3, and a committed entry the state machine cannot decode stops the node instead
/// of being skipped.
/// </summary>
public sealed class CommandFormatSpec : RaftNodeSpecBase
{
    public CommandFormatSpec(ITestOutputHelper output)
        : base(NodeSpecContext.Create(members: 3), output) { }

    private static readonly StackCommand Batch = new PushValues("batch-1", "s", ["a", "b"]);

    [Fact]
    public async Task A_batch_is_forwarded_only_once_every_member_has_said_it_reads_format_3()
    {
        var (node, leader) = await StartFollowerOfProbeLeader();

        var refused = Assert.IsType<NotStarted>(await Execute(node, Batch));
        Assert.Contains("member(s) 2, 3", refused.Reason);

        node.Tell(new CommandFormatsSupported(Settings.ClusterId, 2, StackCommandCodec.CurrentVersion));
        Assert.Contains("member(s) 3", Assert.IsType<NotStarted>(await Execute(node, Batch)).Reason);

        node.Tell(new CommandFormatsSupported(Settings.ClusterId, 3, StackCommandCodec.CurrentVersion));
        // The probe sends no heartbeats: announce it again so node 1 still follows it (its election timer restarts)
        // however long the steps above took on a busy machine.
        AnnounceProbeLeader(node);
        var pending = Execute(node, Batch);
        var forwarded = (ForwardedCommand)leader.FishForMessage(m => m is ForwardedCommand, Deadline);
        Assert.Equal(Batch, forwarded.Command);
        leader.Reply(new Completed(new StackResult(StackOutcome.Ok, Size: 2)));
        Assert.IsType<Completed>(await pending);
    }

    [Fact]
    public async Task What_the_members_said_survives_a_restart_of_the_node_while_they_are_silent()
    {
        var (node, _) = await StartFollowerOfProbeLeader();
        node.Tell(new CommandFormatsSupported(Settings.ClusterId, 2, StackCommandCodec.CurrentVersion));
        node.Tell(new CommandFormatsSupported(Settings.ClusterId, 3, StackCommandCodec.CurrentVersion));
        await node.Ask<NodeStatus>(GetNodeStatus.Instance, Deadline); // the adverts before it are handled
        StopNode(node);

        // A new incarnation on the same data directory; members 2 and 3 say nothing now (down, say).
        var (restarted, leader) = await StartFollowerOfProbeLeader();
        var pending = Execute(restarted, Batch);
        Assert.Equal(Batch, ((ForwardedCommand)leader.FishForMessage(m => m is ForwardedCommand, Deadline)).Command);
        leader.Reply(new Completed(new StackResult(StackOutcome.Ok, Size: 2)));
        Assert.IsType<Completed>(await pending);
    }

    [Fact]
    public async Task Every_member_hears_which_format_this_node_reads()
    {
        var (_, leader) = await StartFollowerOfProbeLeader();
        var advert = (CommandFormatsSupported)leader.FishForMessage(m => m is CommandFormatsSupported, Deadline);
        Assert.Equal((Settings.ClusterId, 1, CommandFormatGate.OwnLevel), (advert.ClusterId, advert.From, advert.MaxCommandVersion));
    }

    /// <summary>Stops a failing child, as the production backoff supervisor's strategy does.</summary>
    private sealed class StoppingParent : ReceiveActor
    {
        public StoppingParent(Props child)
        {
            var node = Context.ActorOf(child, "node");
            Receive<string>(m => m == "node", _ => Sender.Tell(node));
        }

        protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);
    }

    [Fact]
    public async Task A_committed_entry_in_an_unknown_format_stops_the_node_instead_of_being_skipped()
    {
        var nodeProps = RaftNode.Props(Settings, new Dictionary<int, IActorRef> { [2] = CreateTestProbe().Ref, [3] = CreateTestProbe().Ref });
        var parent = Sys.ActorOf(Props.Create(() => new StoppingParent(nodeProps)), "parent");
        var node = await parent.Ask<IActorRef>("node", Deadline);
        var status = await AwaitStatus(node, s => s.LastLogIndex >= 1 && s.AppliedIndex == s.LastLogIndex, "bootstrap applied");
        Watch(node);

        // Version 4: what a newer build might write. Skipping it would leave this replica different from that build's.
        byte[] newer = [4, 1, 0, 0, 1, (byte)'k', 1, (byte)'s'];
        Sys.ActorSelection("/user/parent/node/stacks").Tell(
            new ApplyCommitted([new LogEntry(status.AppliedIndex + 1, 1, EntryKind.Command, newer)], new Dictionary<long, IActorRef>()));

        ExpectTerminated(node, Deadline);
        Sys.Stop(parent);
    }
}
