using Akka.Actor;
using Akka.TestKit;
using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// Node 1 of three, with probes standing in for nodes 2 and 3. A vote or an append acknowledgement must not
/// leave before the write it promises: when the probe sees the response, the journal file already holds the
/// write, and a restarted node still keeps the promise (refuses a second vote in the term; keeps the entries).
/// The election timeout is long (5-10 s) so that node 1 does not campaign on its own meanwhile. Run on SQLite and on
/// PostgreSQL (the subclasses below): the promise must hold whichever database holds the journal.
/// </summary>
public abstract class DurableBeforeAcknowledgedSpec : RaftNodeSpecBase
{
    private TestProbe _node2 = null!;
    private TestProbe _node3 = null!;

    protected DurableBeforeAcknowledgedSpec(ITestOutputHelper output, string? persistence)
        : base(NodeSpecContext.Create(members: 3, tweak: s => s with { ElectionTicks = 100 }, persistence: persistence), output) { }

    private ulong ClusterId => Settings.ClusterId;

    private async Task<IActorRef> StartWithProbes()
    {
        _node2 = CreateTestProbe();
        _node3 = CreateTestProbe();
        var node = StartNode(RaftNode.Props(Settings, new Dictionary<int, IActorRef> { [2] = _node2.Ref, [3] = _node3.Ref }));
        await AwaitStatus(node, s => s.LastLogIndex >= 1, "bootstrap");
        return node;
    }

    private static T Expect<T>(TestProbe probe, Func<T, bool>? match = null) where T : RaftMessage =>
        (T)probe.FishForMessage(m => m is T t && (match is null || match(t)), Deadline);

    public abstract Task A_granted_vote_is_durable_before_it_is_sent_and_survives_a_restart();

    public abstract Task Appended_entries_are_durable_before_acknowledged_and_a_truncation_is_replayed();

    protected async Task GrantedVoteIsDurableBeforeItIsSent()
    {
        var node = await StartWithProbes();
        var rowsBefore = JournalRows();

        node.Tell(new RequestVote(ClusterId, 2, 1, 5, PreVote: false, LastLogIndex: 10, LastLogTerm: 4, LeadershipTransfer: false));
        var granted = Expect<RequestVoteResponse>(_node2, r => !r.PreVote);
        var rowsWhenGranted = JournalRows();

        Assert.True(granted.Granted);
        Assert.Equal(5, granted.Term);
        Assert.True(rowsWhenGranted > rowsBefore, "the vote was sent before term and vote were in the journal");

        StopNode(node);
        node = await StartWithProbes();
        Assert.Equal(5, (await AwaitStatus(node, _ => true, "status")).Term);

        // Same term, another candidate: the vote recorded before the restart must be kept.
        node.Tell(new RequestVote(ClusterId, 3, 1, 5, PreVote: false, LastLogIndex: 10, LastLogTerm: 4, LeadershipTransfer: false));
        Assert.False(Expect<RequestVoteResponse>(_node3, r => !r.PreVote).Granted);
        // The candidate it voted for may ask again (a retransmission) and is granted again.
        node.Tell(new RequestVote(ClusterId, 2, 1, 5, PreVote: false, LastLogIndex: 10, LastLogTerm: 4, LeadershipTransfer: false));
        Assert.True(Expect<RequestVoteResponse>(_node2, r => !r.PreVote).Granted);
    }

    protected async Task AppendedEntriesAreDurableBeforeAcknowledged()
    {
        var node = await StartWithProbes();
        var rowsBefore = JournalRows();

        // Node 2 leads term 5 and sends entries 2..4.
        var term5 = Enumerable.Range(2, 3).Select(i => new LogEntry(i, 5, EntryKind.Command, [(byte)i])).ToList();
        node.Tell(new AppendEntries(ClusterId, 2, 1, 5, PrevLogIndex: 1, PrevLogTerm: 0, term5, LeaderCommit: 1));
        var ack = Expect<AppendEntriesResponse>(_node2);
        var rowsWhenAcked = JournalRows();
        Assert.True(ack.Success);
        Assert.Equal(4, ack.MatchIndex);
        // Two rows: the new term, and the three entries (one row per write).
        Assert.True(rowsWhenAcked >= rowsBefore + 2, $"acknowledged with {rowsWhenAcked - rowsBefore} new journal rows, expected the term and the entries");

        // Node 3 leads term 6 and overwrites 3..4 with one entry of its own at 3: a conflict truncation.
        node.Tell(new AppendEntries(ClusterId, 3, 1, 6, PrevLogIndex: 2, PrevLogTerm: 5,
            [new LogEntry(3, 6, EntryKind.Command, [33])], LeaderCommit: 1));
        var ack6 = Expect<AppendEntriesResponse>(_node3);
        Assert.True(ack6.Success);
        Assert.Equal(3, ack6.MatchIndex);

        StopNode(node);
        node = await StartWithProbes();
        var status = await AwaitStatus(node, _ => true, "status");
        Assert.Equal(3, status.LastLogIndex);
        Assert.Equal(6, status.Term);

        // The replayed log ends (3, term 6): the old entry 4 of term 5 is gone, entry 3 is node 3's.
        node.Tell(new AppendEntries(ClusterId, 3, 1, 6, PrevLogIndex: 4, PrevLogTerm: 5, [], LeaderCommit: 1));
        Assert.False(Expect<AppendEntriesResponse>(_node3).Success);
        node.Tell(new AppendEntries(ClusterId, 3, 1, 6, PrevLogIndex: 3, PrevLogTerm: 6, [], LeaderCommit: 1));
        var matched = Expect<AppendEntriesResponse>(_node3);
        Assert.True(matched.Success);
        Assert.Equal(3, matched.MatchIndex);
    }
}

public sealed class DurableBeforeAcknowledgedOnSqliteSpec(ITestOutputHelper output) : DurableBeforeAcknowledgedSpec(output, null)
{
    [Fact]
    public override Task A_granted_vote_is_durable_before_it_is_sent_and_survives_a_restart() => GrantedVoteIsDurableBeforeItIsSent();

    [Fact]
    public override Task Appended_entries_are_durable_before_acknowledged_and_a_truncation_is_replayed() =>
        AppendedEntriesAreDurableBeforeAcknowledged();
}

[Collection(PostgresCollection.Name)]
public sealed class DurableBeforeAcknowledgedOnPostgresSpec(ITestOutputHelper output, SharedPostgresServer postgres)
    : DurableBeforeAcknowledgedSpec(output, postgres.NodeDatabase("durable"))
{
    [PostgresFact]
    public override Task A_granted_vote_is_durable_before_it_is_sent_and_survives_a_restart() => GrantedVoteIsDurableBeforeItIsSent();

    [PostgresFact]
    public override Task Appended_entries_are_durable_before_acknowledged_and_a_truncation_is_replayed() =>
        AppendedEntriesAreDurableBeforeAcknowledged();
}
