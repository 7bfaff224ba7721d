using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Stacks;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>A one-member cluster: elects itself, commits through its own journal, restarts from it.</summary>
public sealed class SingleNodeSpec : RaftNodeSpecBase
{
    public SingleNodeSpec(ITestOutputHelper output)
        : base(NodeSpecContext.Create(tweak: s => s with { SnapshotEveryEntries = 1_000_000 }), output) { }

    [Fact]
    public async Task Commands_commit_and_survive_a_restart_from_the_journal()
    {
        var node = StartNode();
        await AwaitLeader(node);
        Assert.Equal(StackOutcome.Created, (await ExecuteOk(node, new CreateStack("c1", "s"))).Outcome);
        for (var i = 1; i <= 3; i++)
            Assert.Equal(i, (await ExecuteOk(node, new PushValue($"p{i}", "s", $"v{i}"))).Size);
        var before = await AwaitStatus(node, s => s.AppliedIndex >= s.CommitIndex, "applied");

        StopNode(node);
        var restarted = StartNode();
        await AwaitLeader(restarted);

        Assert.Equal(3, (await QueryOk(restarted, new SizeOfStack("s"))).Size);
        Assert.Equal("v3", (await QueryOk(restarted, new TopOfStack("s"))).Value);
        var after = await AwaitStatus(restarted, s => s.AppliedIndex > before.AppliedIndex, "re-applied log plus the new term's no-op");
        Assert.Equal(before.StateDigest, after.StateDigest);
    }

    [Fact]
    public async Task A_leader_answers_each_write_of_a_forwarded_batch_under_the_followers_id_for_it()
    {
        var node = StartNode();
        await AwaitLeader(node);
        await ExecuteOk(node, new CreateStack("c1", "forwarded"));
        var follower = CreateTestProbe();

        node.Tell(new ForwardedCommands(Settings.ClusterId, Settings.NodeId,
        [
            new ForwardedWriteCopy(7, new PushValue("f1", "forwarded", "a")),
            new ForwardedWriteCopy(9, new PushValue("f2", "forwarded", "b")),
            new ForwardedWriteCopy(11, new PushValue("f1", "forwarded", "a")), // a re-sent copy of write 7's command
        ]), follower.Ref);

        var answers = new Dictionary<long, NodeReply>();
        while (answers.Count < 3)
            foreach (var answer in follower.ExpectMsg<ForwardedAnswers>(Deadline).Answers) answers.Add(answer.WriteId, answer.Reply);
        Assert.Equal(1, Assert.IsType<Completed>(answers[7]).Result.Size);
        Assert.Equal(2, Assert.IsType<Completed>(answers[9]).Result.Size);
        Assert.Equal(answers[7], answers[11]); // applied once; the copy gets the first application's answer
        Assert.Equal(2, (await QueryOk(node, new SizeOfStack("forwarded"))).Size);
    }

    [Fact]
    public async Task A_retried_request_key_is_applied_once()
    {
        var node = StartNode();
        await AwaitLeader(node);
        await ExecuteOk(node, new CreateStack("c1", "dedup"));
        await ExecuteOk(node, new PushValue("p1", "dedup", "a"));
        await ExecuteOk(node, new PushValue("p2", "dedup", "b"));

        var first = await ExecuteOk(node, new PopValue("pop-1", "dedup"));
        var retry = await ExecuteOk(node, new PopValue("pop-1", "dedup"));

        Assert.Equal("b", first.Value);
        Assert.Equal(first, retry);
        Assert.Equal(1, (await QueryOk(node, new SizeOfStack("dedup"))).Size);
        Assert.Equal("a", (await QueryOk(node, new TopOfStack("dedup"))).Value);
    }

    [Fact]
    public async Task Concurrent_commands_are_group_committed()
    {
        var node = StartNode();
        await AwaitLeader(node);
        await ExecuteOk(node, new CreateStack("c", "batch"));
        var statsBefore = await node.Ask<JournalStats>(GetJournalStats.Instance);

        const int commands = 2000;
        var started = System.Diagnostics.Stopwatch.StartNew();
        var replies = await Task.WhenAll(Enumerable.Range(0, commands)
            .Select(i => node.Ask<NodeReply>(new ExecuteCommand(new PushValue($"b{i}", "batch", $"{i}")), TimeSpan.FromSeconds(30))));
        started.Stop();

        Assert.All(replies, r => Assert.IsType<Completed>(r));
        Assert.Equal(commands, (await QueryOk(node, new SizeOfStack("batch"))).Size);
        var stats = await node.Ask<JournalStats>(GetJournalStats.Instance);
        var writes = stats.Writes - statsBefore.Writes;
        var events = stats.Events - statsBefore.Events;
        TestOutput.WriteLine($"{commands} concurrent commands in {started.ElapsedMilliseconds} ms " +
                         $"({commands / started.Elapsed.TotalSeconds:F0}/s): {events} journal events in {writes} writes " +
                         $"({(double)events / writes:F1} events per fsync'd write)");
        Assert.True(writes < commands / 2, $"expected group commit, got {writes} writes for {commands} commands");

        // Closed loop: 64 clients, each waiting for its answer before sending the next (like wrk -c 64).
        const int clients = 64, perClient = 50;
        statsBefore = await node.Ask<JournalStats>(GetJournalStats.Instance);
        started.Restart();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            for (var i = 0; i < perClient; i++)
                Assert.IsType<Completed>(await Execute(node, new PushValue($"loop-{c}-{i}", "batch", "x")));
        }));
        started.Stop();
        stats = await node.Ask<JournalStats>(GetJournalStats.Instance);
        writes = stats.Writes - statsBefore.Writes;
        events = stats.Events - statsBefore.Events;
        TestOutput.WriteLine($"closed loop, {clients} clients: {clients * perClient} commands in {started.ElapsedMilliseconds} ms " +
                         $"({clients * perClient / started.Elapsed.TotalSeconds:F0}/s): {events} events in {writes} writes " +
                         $"({writes / started.Elapsed.TotalSeconds:F0} writes/s, {(double)events / writes:F1} events per write)");
        Assert.True(writes < clients * perClient, "closed-loop clients were not batched at all");
    }
}
