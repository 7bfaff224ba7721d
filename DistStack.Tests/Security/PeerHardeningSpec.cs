using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;
using DistStack.Tests.InProcessCluster;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Security;

/// <summary>
/// A process that can reach a node's Raft port (plain TCP, no peer TLS) sends it what a review showed it could:
/// PoisonPill and Kill by selection, the node's local-only commands (in DistStack's format and in Akka's JSON), and
/// Raft messages claiming to be a member. None of it may change anything, and the refusals are logged.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PeerHardeningSpec(ITestOutputHelper output)
{
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task PoisonPill_and_Kill_from_another_process_do_not_stop_the_raft_node()
    {
        await using var nodes = InProcessNodes.Start(1, output);
        await nodes.AwaitLeader();
        var port = nodes.Settings(1).Self.Port;
        var log = LogCollector.Attach(nodes.System(1));
        await using var rogue = RogueSystem.Start();
        var before = await rogue.IdentifyAsync(port, Answer);
        Assert.NotNull(before);

        rogue.RaftNodeAt(port).Tell(PoisonPill.Instance);
        rogue.RaftNodeAt(port).Tell(Kill.Instance);
        before.Tell(PoisonPill.Instance); // by reference too, not only by selection
        Assert.NotNull(await rogue.IdentifyAsync(port, Answer));

        // Still the same incarnation, still answering (a stopped or restarted RaftNode would not be the same ref).
        var status = await nodes.Node(1).Ask<NodeStatus>(GetNodeStatus.Instance, Answer);
        Assert.Equal(RaftRole.Leader, status.Role);
        Assert.Equal(before, await rogue.IdentifyAsync(port, Answer));
        var lines = await LogCollector.Lines(log);
        foreach (var line in lines) output.WriteLine(line);
        Assert.Contains(lines, l => l.Contains("Refused from a peer: PoisonPill", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Refused from a peer: Kill", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Local_only_commands_from_another_process_change_nothing_in_either_format()
    {
        await using var nodes = InProcessNodes.Start(1, output);
        await nodes.AwaitLeader();
        var port = nodes.Settings(1).Self.Port;
        var log = LogCollector.Attach(nodes.System(1));
        await using var wellTyped = RogueSystem.Start(withDistStackSerializer: true);
        await using var json = RogueSystem.Start(withDistStackSerializer: false);

        wellTyped.RaftNodeAt(port).Tell(new ExecuteCommand(new CreateStack("rogue-1", "rogue-typed")));
        wellTyped.RaftNodeAt(port).Tell(HandOverLeadership.Instance);
        json.RaftNodeAt(port).Tell(new ExecuteCommand(new CreateStack("rogue-2", "rogue-json")));
        json.RaftNodeAt(port).Tell(HandOverLeadership.Instance);
        Assert.NotNull(await wellTyped.IdentifyAsync(port, Answer));
        Assert.NotNull(await json.IdentifyAsync(port, Answer));

        Assert.Equal(StackOutcome.NotFound, (await nodes.Query(new StackExists("rogue-typed"), via: 1)).Outcome);
        Assert.Equal(StackOutcome.NotFound, (await nodes.Query(new StackExists("rogue-json"), via: 1)).Outcome);
        var lines = await LogCollector.Lines(log);
        foreach (var line in lines) output.WriteLine(line);
        Assert.Contains(lines, l => l.Contains("DistStack manifest 'XC1' is local to a node", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("DistStack manifest 'HOL1' is local to a node", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("Refused from a peer: a JSON-serialized", StringComparison.Ordinal));
        // The node still serves its own clients.
        Assert.Equal(StackOutcome.Created, (await nodes.Commit(new CreateStack("real", "real"), via: 1)).Outcome);
    }

    [Fact]
    public async Task A_raft_message_whose_claimed_member_does_not_fit_its_address_is_dropped()
    {
        await using var nodes = InProcessNodes.Start(3, output);
        var leader = await nodes.AwaitLeader();
        var follower = nodes.Running.First(id => id != leader);
        var status = await nodes.Node(follower).Ask<NodeStatus>(GetNodeStatus.Instance, Answer);
        var settings = nodes.Settings(follower);
        var log = LogCollector.Attach(nodes.System(follower));
        await using var rogue = RogueSystem.Start();

        // As the leader, ask the follower to campaign at once, and ask for its vote 1000 terms ahead: taken at face value
        // the follower moves to that term (elections on a loaded machine never come near it).
        rogue.RaftNodeAt(settings.Self.Port).Tell(new TimeoutNow(settings.ClusterId, leader, follower, status.Term));
        rogue.RaftNodeAt(settings.Self.Port).Tell(new RequestVote(settings.ClusterId, leader, follower, status.Term + 1000, false, long.MaxValue, long.MaxValue, true));
        rogue.RaftNodeAt(settings.Self.Port).Tell(new PeerSilenceNotice(settings.ClusterId, leader, follower, 5_000));
        rogue.RaftNodeAt(settings.Self.Port).Tell(new ForwardedCommand(new CreateStack("rogue-3", "rogue-forwarded"), leader));
        Assert.NotNull(await rogue.IdentifyAsync(settings.Self.Port, Answer));

        var after = await nodes.Node(follower).Ask<NodeStatus>(GetNodeStatus.Instance, Answer);
        Assert.True(after.Term < status.Term + 1000, $"term {status.Term} -> {after.Term}: a rogue's vote request got through");
        Assert.Equal(StackOutcome.NotFound, (await nodes.Query(new StackExists("rogue-forwarded"), via: leader)).Outcome);
        var lines = await LogCollector.Lines(log);
        foreach (var line in lines) output.WriteLine(line);
        Assert.Contains(lines, l => l.Contains($"refused a peer's TimeoutNow: it claims to be member {leader}", StringComparison.Ordinal));
    }
}
