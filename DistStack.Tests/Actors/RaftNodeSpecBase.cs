using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Hosting;
using DistStack.Actors.Stacks;
using LinqToDB.Data;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// A TestKit whose ActorSystem runs a node's real configuration (SQLite journal and snapshot store in a temp
/// data directory) with the local provider: specs start and stop RaftNode actors directly, restart them on the
/// same journal, and stand in for peers with probes.
/// </summary>
public abstract class RaftNodeSpecBase : Akka.TestKit.Xunit2.TestKit
{
    private int _incarnation;

    protected RaftNodeSpecBase(NodeSpecContext context, ITestOutputHelper output)
        : base(context.Setup, NodeConfig.ActorSystemName, output)
    {
        NodeContext = context;
        TestOutput = output;
    }

    protected NodeSpecContext NodeContext { get; }
    protected ITestOutputHelper TestOutput { get; }
    protected RaftNodeSettings Settings => NodeContext.Settings;

    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    protected IActorRef StartNode(Props? props = null) =>
        Sys.ActorOf(props ?? RaftNode.Props(Settings), $"raft-node-{++_incarnation}");

    /// <summary>Stops the node and waits until it is gone, so the next incarnation is the journal's only writer.</summary>
    protected void StopNode(IActorRef node)
    {
        var watcher = CreateTestProbe();
        watcher.Watch(node);
        Sys.Stop(node);
        watcher.ExpectTerminated(node, Deadline);
    }

    protected async Task<NodeStatus> AwaitStatus(IActorRef node, Func<NodeStatus, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        NodeStatus? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await node.Ask<NodeStatus>(GetNodeStatus.Instance, TimeSpan.FromSeconds(2));
                if (condition(last)) return last;
            }
            catch (AskTimeoutException) { }
            catch (ArgumentException) { } // a NotStarted from a backoff supervisor restarting the node
            await Task.Delay(20);
        }
        throw new TimeoutException($"Timed out waiting for {what}; last status: {last}");
    }

    /// <summary>
    /// Node 1 of a three-member configuration as a follower of a probe leader (node 2, term 5); node 3 is a silent
    /// probe. The probe receives whatever node 1 sends its leader (forwarded reads and writes, answers).
    /// </summary>
    protected async Task<(IActorRef Node, Akka.TestKit.TestProbe Leader)> StartFollowerOfProbeLeader(Akka.TestKit.TestProbe? node3 = null)
    {
        var (node, leader) = await StartBesideProbeLeader(node3);
        AnnounceProbeLeader(node);
        await AwaitStatus(node, s => s.LeaderId == 2, "node 2 known as leader");
        return (node, leader);
    }

    /// <summary>Node 1 of three, bootstrapped, with probes as nodes 2 and 3 (<paramref name="node3"/> when the test talks to it); no leader known yet.</summary>
    protected async Task<(IActorRef Node, Akka.TestKit.TestProbe Leader)> StartBesideProbeLeader(Akka.TestKit.TestProbe? node3 = null)
    {
        var leader = CreateTestProbe();
        var node = StartNode(RaftNode.Props(Settings, new Dictionary<int, IActorRef> { [2] = leader.Ref, [3] = (node3 ?? CreateTestProbe()).Ref }));
        await AwaitStatus(node, s => s.LastLogIndex >= 1, "bootstrap");
        return (node, leader);
    }

    /// <summary>The probe node <paramref name="leader"/> makes itself known to <paramref name="node"/> as the leader of <paramref name="term"/>.</summary>
    protected void AnnounceProbeLeader(IActorRef node, int leader = 2, long term = 5) =>
        node.Tell(new DistStack.Actors.Raft.AppendEntries(Settings.ClusterId, leader, 1, term, PrevLogIndex: 1, PrevLogTerm: 0, [], LeaderCommit: 1));

    /// <summary>
    /// Leader, with everything it holds committed and applied: its no-op of the new term (the last entry it appended
    /// on election) is committed, so reads are served at once. Status is answered while writes are in flight, so
    /// "leader" alone may still be waiting for that no-op's write.
    /// </summary>
    protected Task<NodeStatus> AwaitLeader(IActorRef node) =>
        AwaitStatus(node, s => s.Role == DistStack.Actors.Raft.RaftRole.Leader && s.CommitIndex == s.LastLogIndex &&
                               s.AppliedIndex >= s.CommitIndex, "leadership");

    protected static async Task<NodeReply> Execute(IActorRef node, StackCommand command) =>
        await node.Ask<NodeReply>(new ExecuteCommand(command), TimeSpan.FromSeconds(10));

    protected static async Task<StackResult> ExecuteOk(IActorRef node, StackCommand command)
    {
        var reply = await Execute(node, command);
        return Assert.IsType<Completed>(reply).Result;
    }

    protected static async Task<StackResult> QueryOk(IActorRef node, StackQuery query)
    {
        var reply = await node.Ask<NodeReply>(new ExecuteQuery(query), TimeSpan.FromSeconds(10));
        return Assert.IsType<Completed>(reply).Result;
    }

    /// <summary>
    /// Rows this node has in the journal right now, read through the plugin's own connection options. NOT deleted:
    /// the flag is a boolean in PostgreSQL and an integer in SQLite, and this reads right on both.
    /// </summary>
    protected long JournalRows()
    {
        using var connection = new DataConnection(NodeContext.Persistence.JournalOptions);
        return connection.Execute<long>(
            "SELECT COUNT(*) FROM journal WHERE persistence_id = @id AND NOT deleted",
            new DataParameter("id", $"raft-node-{Settings.NodeId}"));
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        NodeContext.Dispose();
    }
}
