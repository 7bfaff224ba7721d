using System.Collections.Immutable;
using System.Net.Sockets;
using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;
using DistStack.Tests.InProcessCluster;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Security;

/// <summary>
/// Hostile peer traffic against a three-node cluster on plain TCP (no peer TLS: the worst case): random bytes to every
/// Raft port, then random well-typed DistStack frames from a foreign ActorSystem (Raft messages of our cluster id and
/// of foreign ones, claiming any member; forwarded writes; silence notices; local-only commands). Nothing may crash or
/// restart a node, elect anyone, or change the state, and the refusals are logged. Seeded: the seed is printed, and
/// DISTSTACK_FUZZ_SEED=&lt;seed&gt; replays the same traffic.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PeerFuzzTests(ITestOutputHelper output)
{
    private const int RawConnections = 24;
    private const int Frames = 600;
    private const long HostileTermLead = 1000;
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Random_bytes_and_random_frames_from_a_foreign_process_change_nothing()
    {
        var seed = FuzzSeed.Pick();
        output.WriteLine($"peer fuzz seed {seed} (replay: DISTSTACK_FUZZ_SEED={seed})");
        var random = new Random(seed);

        await using var nodes = InProcessNodes.Start(3, output);
        var leader = await nodes.AwaitLeader();
        Assert.Equal(StackOutcome.Created, (await nodes.Commit(new CreateStack("fuzz-1", "fuzzed"), via: leader)).Outcome);
        Assert.Equal(StackOutcome.Ok, (await nodes.Commit(new PushValue("fuzz-2", "fuzzed", "kept"), via: leader)).Outcome);
        var before = await nodes.AwaitConverged();
        var term = (await nodes.Node(leader).Ask<NodeStatus>(GetNodeStatus.Instance, Answer)).Term;
        var logs = nodes.Running.ToDictionary(id => id, id => LogCollector.Attach(nodes.System(id)));
        var ports = nodes.Running.ToDictionary(id => id, id => nodes.Settings(id).Self.Port);
        var clusterId = nodes.Settings(1).ClusterId;

        await using var rogue = RogueSystem.Start();
        var incarnations = new Dictionary<int, IActorRef?>();
        foreach (var (id, port) in ports) incarnations[id] = await rogue.IdentifyAsync(port, Answer);
        Assert.All(incarnations.Values, Assert.NotNull);

        for (var i = 0; i < RawConnections; i++)
            await SendRandomBytes(ports[random.Next(1, 4)], random);

        var foreignClusterFrames = 0;
        for (var i = 0; i < Frames; i++)
        {
            var target = random.Next(1, 4);
            var foreignCluster = random.Next(2) == 0;
            if (foreignCluster) foreignClusterFrames++;
            var message = RandomFrame(random, foreignCluster ? (ulong)random.NextInt64() | 1 : clusterId, target, term);
            rogue.RaftNodeAt(ports[target]).Tell(message);
        }
        output.WriteLine($"sent {RawConnections} random byte streams and {Frames} frames ({foreignClusterFrames} of a foreign cluster id)");

        // Same association as the frames: once each node answers, every frame was decoded and handled or refused.
        foreach (var (id, port) in ports)
            Assert.Equal(incarnations[id], await rogue.IdentifyAsync(port, Answer));
        foreach (var id in nodes.Running)
        {
            var status = await nodes.Node(id).Ask<NodeStatus>(GetNodeStatus.Instance, Answer);
            Assert.True(status.Term < term + HostileTermLead, $"node {id}: term {term} -> {status.Term}: a hostile frame got through");
        }
        Assert.Equal(before.Digest, (await nodes.AwaitConverged()).Digest);
        var anyNode = nodes.Running.First();
        Assert.Equal(StackOutcome.NotFound, (await nodes.Query(new StackExists("rogue"), via: anyNode)).Outcome);
        Assert.Equal(1, (await nodes.Query(new SizeOfStack("fuzzed"), via: anyNode)).Size);

        var refusals = 0;
        foreach (var (id, log) in logs)
            refusals += (await LogCollector.Lines(log)).Count(l => l.Contains("refused a peer's", StringComparison.Ordinal) || l.Contains("Refused from a peer", StringComparison.Ordinal));
        output.WriteLine($"{refusals} refusal lines logged (rate-limited)");
        Assert.True(refusals >= 3, $"expected refusals to be logged on every node, saw {refusals} lines");
        // The cluster still takes writes.
        Assert.Equal(StackOutcome.Ok, (await nodes.Commit(new PushValue("fuzz-3", "fuzzed", "after"), via: anyNode)).Outcome);
    }

    private static async Task SendRandomBytes(int port, Random random)
    {
        var bytes = new byte[random.Next(1, 8192)];
        random.NextBytes(bytes);
        // Half the streams start like a frame (a plausible length prefix), to get past the first length check.
        if (random.Next(2) == 0 && bytes.Length >= 4) BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), random.Next(0, bytes.Length));
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        try
        {
            await client.GetStream().WriteAsync(bytes);
        }
        catch (IOException)
        {
            // The node may close the connection mid-write: that is a fine answer to garbage.
        }
    }

    private static object RandomFrame(Random random, ulong clusterId, int to, long term)
    {
        var from = random.Next(0, 6);
        // Far ahead of any term real elections reach during the test, so a frame that got through shows in the term.
        var t = random.Next(4) == 0 ? term - 1 : term + HostileTermLead + random.Next(0, 1000);
        long Index() => random.Next(0, 1000);
        byte[] Bytes() { var b = new byte[random.Next(0, 64)]; random.NextBytes(b); return b; }
        return random.Next(15) switch
        {
            0 => new RequestVote(clusterId, from, to, t, random.Next(2) == 0, Index(), Index(), random.Next(2) == 0),
            1 => new RequestVoteResponse(clusterId, from, to, t, random.Next(2) == 0, true),
            2 => new AppendEntries(clusterId, from, to, t, Index(), Index(),
                [.. Enumerable.Range(0, random.Next(0, 4)).Select(i => new LogEntry(Index() + i, t, (EntryKind)random.Next(0, 3), Bytes()))], Index()),
            3 => new AppendEntriesResponse(clusterId, from, to, t, random.Next(2) == 0, Index(), Index(), Index()),
            4 => new Heartbeat(clusterId, from, to, t, Index(), Index()),
            5 => new TimeoutNow(clusterId, from, to, t),
            6 => new InstallSnapshot(clusterId, from, to, t,
                new SnapshotMetadata(Index(), t, new ClusterConfiguration(ImmutableArray.Create(1, 2, 3))), 0, Bytes(), random.Next(2) == 0),
            7 => new ReadIndexRequest(clusterId, from, to, t, Index()),
            8 => new PeerSilenceNotice(clusterId, from, to, random.Next(0, 100_000)),
            9 => new ForwardedCommand(new CreateStack($"rogue-{random.Next()}", "rogue"), from),
            10 => new ExecuteCommand(new PushValue($"rogue-{random.Next()}", "fuzzed", "rogue")),
            11 => new ForwardedCommands(clusterId, from, [new ForwardedWriteCopy(random.NextInt64(), new CreateStack($"rogue-{random.Next()}", "rogue"))]),
            12 => new ForwardedAnswers(clusterId, from, [new ForwardedAnswer(random.NextInt64(), new NotStarted("rogue"))]),
            13 => new ForwardedBatchesSupported(clusterId, from),
            _ => HandOverLeadership.Instance,
        };
    }
}

/// <summary>The seed of a randomized hostile-input test: DISTSTACK_FUZZ_SEED replays one, else a fresh one.</summary>
public static class FuzzSeed
{
    public static int Pick() =>
        int.TryParse(Environment.GetEnvironmentVariable("DISTSTACK_FUZZ_SEED"), out var seed) ? seed : Random.Shared.Next();
}
