using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// A state machine that throws must not leave a node that heartbeats while it applies nothing: the RaftNode fails
/// with it, its supervisor stops and restarts it from the journal, and while it is down every request is answered
/// at once as not started (503), never left to time out as "outcome unknown" (504).
/// The failure is injected as a committed batch with a gap, which the registry refuses by throwing.
/// </summary>
public sealed class StateMachineFailureSpec : RaftNodeSpecBase
{
    public StateMachineFailureSpec(ITestOutputHelper output)
        : base(NodeSpecContext.Create(), output) { }

    private static ApplyCommitted BatchWithAGap() =>
        new([new LogEntry(1_000, 1, EntryKind.Command, [1])], new Dictionary<long, IActorRef>());

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
    public async Task A_throwing_state_machine_fails_the_raft_node_instead_of_resetting_itself_to_empty()
    {
        var parent = Sys.ActorOf(Props.Create(() => new StoppingParent(RaftNode.Props(Settings))), "parent");
        var node = await parent.Ask<IActorRef>("node", Deadline);
        await AwaitLeader(node);
        Watch(node);

        Sys.ActorSelection("/user/parent/node/stacks").Tell(BatchWithAGap());

        ExpectTerminated(node, Deadline);
        Sys.Stop(parent);
    }

    [Fact]
    public async Task While_the_supervisor_restarts_the_raft_node_requests_are_answered_not_started_at_once()
    {
        var supervisor = Sys.ActorOf(RaftNode.SupervisedProps(Settings), "supervised");
        await AwaitLeader(supervisor);
        var node = await Sys.ActorSelection("/user/supervised/node").ResolveOne(Deadline);
        Assert.IsType<Completed>(await Execute(supervisor, new CreateStack("k1", "s")));
        Watch(node);

        Sys.ActorSelection("/user/supervised/node/stacks").Tell(BatchWithAGap());
        ExpectTerminated(node, Deadline);

        // The backoff is at least 0.4 s: this request arrives while no RaftNode runs.
        var reply = await supervisor.Ask<NodeReply>(new ExecuteCommand(new PushValue("k2", "s", "v")), TimeSpan.FromSeconds(3));
        Assert.Equal(RaftNode.WhileRestarting, reply);

        // And the restarted node recovered from the journal: the stack is still there.
        await AwaitLeader(supervisor);
        Assert.IsType<Completed>(await Execute(supervisor, new PushValue("k3", "s", "v")));
    }
}
