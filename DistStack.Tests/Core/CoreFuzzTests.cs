using DistStack.Actors.Raft;
using Xunit.Abstractions;

namespace DistStack.Tests.Core;

/// <summary>
/// The core is stepped with random but well-typed messages, as a buggy or hostile peer could send them (negative
/// and huge indexes, offsets and terms; junk configuration entries; snapshot chunks that never end), mixed with
/// ticks, proposals and Readies. It must never throw, and what it promises must hold whatever arrives: its term and
/// commit index never go back, and it never votes for two candidates in one term. Every seed replays exactly
/// (DISTSTACK_FUZZ_SEED=N for one, DISTSTACK_FUZZ_SEEDS=N for more).
/// </summary>
public sealed class CoreFuzzTests(ITestOutputHelper output)
{
    private const ulong ClusterId = Solo.ClusterId;

    public static IEnumerable<object[]> Seeds()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("DISTSTACK_FUZZ_SEED"), out var one))
        {
            yield return [one];
            yield break;
        }

        var count = int.TryParse(Environment.GetEnvironmentVariable("DISTSTACK_FUZZ_SEEDS"), out var n) ? n : 300;
        yield return [count];
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void The_core_never_throws_and_keeps_its_promises_on_any_well_typed_input(int seedsOrSeed)
    {
        var single = Environment.GetEnvironmentVariable("DISTSTACK_FUZZ_SEED") is not null;
        var seeds = single ? [seedsOrSeed] : Enumerable.Range(1, seedsOrSeed);
        foreach (var seed in seeds)
        {
            try
            {
                Run(seed);
            }
            catch (Exception e)
            {
                output.WriteLine($"fuzz seed {seed} failed; replay with DISTSTACK_FUZZ_SEED={seed}");
                throw new InvalidOperationException($"fuzz seed {seed}: {e.Message}", e);
            }
        }
    }

    private static void Run(int seed)
    {
        var random = new Random(seed);
        var options = Solo.Options(1, preVote: random.Next(2) == 0, checkQuorum: random.Next(2) == 0);
        // Solo.Leader answers real votes only: a leader start needs pre-vote off.
        var core = !options.PreVote && random.Next(2) == 0 ? Solo.Leader(3, [1, 1], options) : Solo.Core(1, 3, [1, 1], options: options);
        var lastTerm = core.Status.Term;
        var lastCommit = core.Status.CommitIndex;
        var votes = new Dictionary<long, int>();
        for (var step = 0; step < 400; step++)
        {
            var action = random.Next(10);
            var message = action < 7 ? RandomMessage(random, core) : null;
            try
            {
                switch (action)
                {
                    case < 7:
                        core.Step(message!);
                        break;
                    case 7:
                        core.Tick();
                        break;
                    case 8:
                        core.Propose([(byte)random.Next(256)]);
                        break;
                    default:
                        core.ReadIndex(random.Next(1, 1000));
                        break;
                }

                while (core.HasReady())
                {
                    var ready = core.GetReady();
                    if (ready.HardState is { VotedFor: not HardState.NoVote } hard)
                    {
                        if (votes.TryGetValue(hard.Term, out var earlier) && earlier != hard.VotedFor)
                        {
                            throw new InvalidOperationException($"voted for {earlier} and then {hard.VotedFor} in term {hard.Term}");
                        }

                        votes[hard.Term] = hard.VotedFor;
                    }

                    core.Advance(ready);
                }
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"step {step} ({message?.ToString() ?? ActionName(action)}): {e.GetType().Name}: {e.Message}", e);
            }

            var status = core.Status;
            if (status.Term < lastTerm || status.CommitIndex < lastCommit)
            {
                throw new InvalidOperationException($"step {step} ({message}): term {lastTerm} -> {status.Term}, commit {lastCommit} -> {status.CommitIndex}");
            }

            (lastTerm, lastCommit) = (status.Term, status.CommitIndex);
        }
    }

    private static string ActionName(int action) => action switch { 7 => "tick", 8 => "propose", _ => "read index" };

    /// <summary>Mostly plausible values around the core's own state, sometimes absurd ones.</summary>
    private static long Pick(Random random, long near) => random.Next(12) switch
    {
        0 => -1,
        1 => long.MinValue,
        2 => long.MaxValue,
        3 => 0,
        4 => near + 1,
        5 => near - 1,
        6 => random.NextInt64(),
        _ => Math.Max(0, near + random.Next(-3, 4)),
    };

    private static RaftMessage RandomMessage(Random random, RaftCore core)
    {
        var status = core.Status;
        var from = random.Next(8) == 0 ? random.Next(-1, 6) : random.Next(2, 4);
        var term = random.Next(3) == 0 ? Pick(random, status.Term) : status.Term + random.Next(0, 2);
        var last = status.LastLogIndex;
        return random.Next(11) switch
        {
            0 => new RequestVote(ClusterId, from, 1, term, random.Next(2) == 0, Pick(random, last), Pick(random, term), random.Next(4) == 0),
            1 => new RequestVoteResponse(ClusterId, from, 1, term, random.Next(2) == 0, random.Next(2) == 0),
            2 => RandomAppend(random, from, term, last),
            3 => new AppendEntriesResponse(ClusterId, from, 1, term, random.Next(2) == 0, Pick(random, last), Pick(random, last), Pick(random, term)),
            4 => new Heartbeat(ClusterId, from, 1, term, Pick(random, status.CommitIndex), Pick(random, 3)),
            5 => new HeartbeatResponse(ClusterId, from, 1, term, Pick(random, 3)),
            6 => new InstallSnapshot(ClusterId, from, 1, term,
                new SnapshotMetadata(Pick(random, last), Pick(random, term), RandomConfiguration(random)),
                Pick(random, 64), new byte[random.Next(0, 64)], random.Next(3) == 0),
            7 => new InstallSnapshotResponse(ClusterId, from, 1, term, Pick(random, last), Pick(random, 16), random.Next(2) == 0),
            8 => new TimeoutNow(ClusterId, from, 1, term),
            9 => new ReadIndexRequest(ClusterId, from, 1, term, random.NextInt64()),
            _ => new ReadIndexResponse(ClusterId, from, 1, term, random.Next(1, 1000), Pick(random, last),
                random.Next(3) == 0 ? (ReadRejection)random.Next(0, 4) : null),
        };
    }

    private static AppendEntries RandomAppend(Random random, int from, long term, long last)
    {
        var prev = Pick(random, last);
        var prevTerm = Math.Max(0, Math.Min(term, random.Next(0, 3)));
        var entries = new List<LogEntry>();
        var count = random.Next(0, 4);
        for (var i = 0; i < count; i++)
        {
            var kind = (EntryKind)random.Next(0, 4);
            var data = kind == EntryKind.Configuration && random.Next(2) == 0
                ? RandomConfiguration(random).Encode()
                : Enumerable.Range(0, random.Next(0, 9)).Select(_ => (byte)random.Next(256)).ToArray();
            entries.Add(new LogEntry(prev + 1 + i, Math.Max(prevTerm, term - random.Next(0, 2)), kind, data));
        }

        return new AppendEntries(ClusterId, from, 1, term, prev, prevTerm, entries, Pick(random, last));
    }

    private static ClusterConfiguration RandomConfiguration(Random random) => random.Next(4) switch
    {
        0 => ClusterConfiguration.Of(1),
        1 => ClusterConfiguration.Of(2, 3),
        _ => ClusterConfiguration.Of(1, 2, 3),
    };
}
