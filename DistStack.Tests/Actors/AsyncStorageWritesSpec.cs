using System.Data.Common;
using Akka.Actor;
using Akka.TestKit;
using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;
using LinqToDB.Interceptors;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// Asynchronous storage writes through the real RaftNode and SQLite journal: node 1 leads two probes (nodes 2 and 3)
/// while its journal is held shut (a gate in the plugin's connection path). With its own write of a client's entry
/// stuck, the leader still sends the entry, takes the followers' acknowledgements, commits through them and answers a
/// status query (nothing is stashed behind the fsync), but the client's "ok" waits until the entry is durable here.
/// </summary>
public sealed class AsyncStorageWritesSpec : RaftNodeSpecBase
{
    private readonly JournalGate _gate;
    private TestProbe _node2 = null!;
    private TestProbe _node3 = null!;

    public AsyncStorageWritesSpec(ITestOutputHelper output) : this(new JournalGate(), output) { }

    private AsyncStorageWritesSpec(JournalGate gate, ITestOutputHelper output)
        : base(NodeSpecContext.Create(members: 3, journalInterceptors: [gate]), output) => _gate = gate;

    private ulong ClusterId => Settings.ClusterId;

    [Fact]
    public async Task A_leader_commits_through_its_followers_while_its_own_write_is_stuck_and_answers_the_client_once_durable()
    {
        var node = await StartAsLeaderOfProbes();
        var term = (await AwaitLeader(node)).Term;
        var lastBefore = (await AwaitStatus(node, _ => true, "status")).LastLogIndex;

        _gate.Close();
        var push = node.Ask<NodeReply>(new ExecuteCommand(new CreateStack("k1", "s")), TimeSpan.FromSeconds(10));
        var index = lastBefore + 1;
        // The entry leaves for the followers while the leader's own write of it is stuck (dissertation §10.2.1).
        foreach (var (probe, id) in new[] { (_node2, 2), (_node3, 3) })
        {
            probe.FishForMessage(m => m is AppendEntries a && a.Entries.Any(e => e.Index == index), Deadline);
            node.Tell(new AppendEntriesResponse(ClusterId, id, 1, term, true, index, 0, 0));
        }

        // Not stashed behind the fsync: the status query is answered, and the followers' acknowledgements committed it.
        var status = await AwaitStatus(node, s => s.CommitIndex >= index, "a commit through the followers");
        Assert.True(_gate.IsClosed);
        Assert.True(status.AppliedIndex < index, $"applied {status.AppliedIndex} before entry {index} was durable on the leader");
        Assert.False(push.IsCompleted, "the client was answered before its entry was durable on the leader");

        _gate.Open();
        var result = Assert.IsType<Completed>(await push).Result;
        Assert.Equal(StackOutcome.Created, result.Outcome);
        Assert.Equal(index, (await AwaitStatus(node, s => s.AppliedIndex >= index, "the apply")).AppliedIndex);
    }

    /// <summary>Node 1 campaigns on its own (short election timeout) and the probes grant every (pre-)vote it asks for.</summary>
    private async Task<IActorRef> StartAsLeaderOfProbes()
    {
        _node2 = CreateTestProbe();
        _node3 = CreateTestProbe();
        var node = StartNode(RaftNode.Props(Settings, new Dictionary<int, IActorRef> { [2] = _node2.Ref, [3] = _node3.Ref }));
        // The probes answer every heartbeat as live followers would, so the leader keeps its quorum (check-quorum)
        // however long the test's steps take on a loaded machine; the votes and appends stay the test's to answer.
        foreach (var (probe, id) in new[] { (_node2, 2), (_node3, 3) })
            probe.SetAutoPilot(new DelegateAutoPilot((_, message) =>
            {
                if (message is Heartbeat heartbeat)
                    node.Tell(new HeartbeatResponse(ClusterId, id, 1, heartbeat.Term, heartbeat.ReadContext));
                return AutoPilot.KeepRunning;
            }));
        while (true)
        {
            var request = (RequestVote)_node2.FishForMessage(m => m is RequestVote, Deadline);
            node.Tell(new RequestVoteResponse(ClusterId, 2, 1, request.Term, request.PreVote, Granted: true));
            if (!request.PreVote) break;
        }
        var leader = await AwaitStatus(node, s => s.Role == RaftRole.Leader, "leadership");
        // Acknowledge the new leader's no-op so that it commits and the leader is ready for clients.
        foreach (var (probe, id) in new[] { (_node2, 2), (_node3, 3) })
        {
            var append = (AppendEntries)probe.FishForMessage(m => m is AppendEntries a && a.Entries.Count > 0, Deadline);
            node.Tell(new AppendEntriesResponse(ClusterId, id, 1, leader.Term, true, append.Entries[^1].Index, 0, 0));
        }
        await AwaitLeader(node);
        return node;
    }

    /// <summary>Holds every journal connection while closed: the disk is "slow" for as long as the test wants.</summary>
    private sealed class JournalGate : IConnectionInterceptor
    {
        private volatile TaskCompletionSource _open = Opened();

        private static TaskCompletionSource Opened()
        {
            var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            open.SetResult();
            return open;
        }

        public bool IsClosed => !_open.Task.IsCompleted;

        public void Close() => _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Open() => _open.TrySetResult();

        public void ConnectionOpening(ConnectionEventData eventData, DbConnection connection) => _open.Task.Wait();

        public Task ConnectionOpeningAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken) =>
            _open.Task.WaitAsync(cancellationToken);

        public void ConnectionOpened(ConnectionEventData eventData, DbConnection connection) { }

        public Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken) =>
            Task.CompletedTask;
    }
}
