using DistStack.Tests.Support;
using DistStack.Actors.Raft;

namespace DistStack.Tests.Core;

/// <summary>Always the same draw: election timeouts become exactly ElectionTicks + value.</summary>
internal sealed class FixedRandom(int value = 0) : IRandomSource
{
    public List<int> Bounds { get; } = [];

    public int Next(int maxExclusive)
    {
        Bounds.Add(maxExclusive);
        return Math.Min(value, maxExclusive - 1);
    }
}

/// <summary>What one node has made durable and applied, as a perfect shell would.</summary>
internal sealed class Disk
{
    public HardState HardState { get; set; } = HardState.Empty;
    public SnapshotData? Snapshot { get; set; }
    public List<LogEntry> Entries { get; } = [];
    public List<LogEntry> Applied { get; } = [];
    public List<ReadState> ReadStates { get; } = [];
    public SnapshotData? RestoredSnapshot { get; set; }

    public long LastIndex => Entries.Count > 0 ? Entries[^1].Index : Snapshot?.Metadata.LastIncludedIndex ?? 0;

    public RaftDurableState ToDurableState() => new(HardState, Snapshot, Entries.ToList());

    /// <summary>Carries out step 2 of the persistence contract.</summary>
    public void Persist(Ready ready)
    {
        if (ready.HardState is not null) HardState = ready.HardState;
        if (ready.Snapshot is not null)
        {
            Entries.Clear();
            Snapshot = ready.Snapshot;
        }
        if (ready.Entries.Count > 0)
        {
            var first = ready.Entries[0].Index;
            Entries.RemoveAll(e => e.Index >= first);
            if (Entries.Count > 0 && Entries[^1].Index != first - 1)
                throw new InvalidOperationException($"Gap persisting at {first} after {Entries[^1].Index}.");
            Entries.AddRange(ready.Entries);
        }
    }

    public void Apply(Ready ready)
    {
        if (ready.Snapshot is not null) RestoredSnapshot = ready.Snapshot;
        foreach (var entry in ready.CommittedEntries)
        {
            if (Applied.Count > 0 && entry.Index != Applied[^1].Index + 1 && RestoredSnapshot is null)
                throw new InvalidOperationException($"Applied {entry.Index} after {Applied[^1].Index}.");
            Applied.Add(entry);
        }
        ReadStates.AddRange(ready.ReadStates);
    }
}

/// <summary>
/// N cores on a perfect network: every message is delivered, every Ready persisted at once and then advanced
/// (the persistence contract's order). Tests can drop messages with <see cref="Drop"/> or <see cref="Isolate"/>.
/// </summary>
internal sealed class TestCluster
{
    public const ulong ClusterId = 42;

    private readonly Func<RaftOptions, RaftOptions> _configure;
    private readonly Queue<RaftMessage> _queue = new();
    private readonly HashSet<int> _isolated = [];

    public TestCluster(int count, Func<RaftOptions, RaftOptions>? configure = null)
    {
        _configure = configure ?? (o => o);
        var configuration = ClusterConfiguration.Of(Enumerable.Range(1, count).ToArray());
        foreach (var id in configuration.Voters)
        {
            var disk = new Disk();
            var initial = RaftBootstrap.Initial(configuration);
            disk.Entries.AddRange(initial.Entries);
            Disks[id] = disk;
            Nodes[id] = new RaftCore(Options(id), new FixedRandom(id - 1), disk.ToDurableState());
        }
    }

    /// <summary>
    /// Starts node <paramref name="id"/> with empty storage, as a node started to join does (or one whose disk was
    /// wiped): no term, no vote, no log, no configuration. It takes part only once a leader adds it.
    /// </summary>
    public void StartBlank(int id)
    {
        Disks[id] = new Disk();
        Nodes[id] = new RaftCore(Options(id), new FixedRandom(id - 1), Disks[id].ToDurableState());
    }

    /// <summary>
    /// Node <paramref name="id"/>'s disk is lost: it restarts blank (no term, vote, log or configuration) under storage
    /// id <paramref name="storageId"/>, as a node whose data directory was deleted and created again.
    /// </summary>
    public void WipeAndRestart(int id, ulong storageId)
    {
        Disks[id] = new Disk();
        Nodes[id] = new RaftCore(Options(id) with { StorageId = storageId }, new FixedRandom(id - 1), Disks[id].ToDurableState());
    }

    public Dictionary<int, RaftCore> Nodes { get; } = [];
    public Dictionary<int, Disk> Disks { get; } = [];

    /// <summary>Every message that left a node, in order (including dropped ones).</summary>
    public List<RaftMessage> Sent { get; } = [];

    public Func<RaftMessage, bool> Drop { get; set; } = _ => false;

    public RaftCore this[int id] => Nodes[id];

    public RaftOptions Options(int id) => _configure(CoreKnobs.For(id, ClusterId) with { ElectionTicks = 10, HeartbeatTicks = 1 });

    public void Isolate(int id) => _isolated.Add(id);
    public void Heal() => _isolated.Clear();

    /// <summary>Carries out one Ready of node <paramref name="id"/> in the contract's order.</summary>
    public Ready Handle(int id)
    {
        var core = Nodes[id];
        var ready = core.GetReady();
        foreach (var m in ready.Messages) Enqueue(m);
        Disks[id].Persist(ready);
        foreach (var m in ready.MessagesAfterDurable) Enqueue(m);
        Disks[id].Apply(ready);
        core.Advance(ready);
        return ready;
    }

    private void Enqueue(RaftMessage message)
    {
        Sent.Add(message);
        if (_isolated.Contains(message.From) || _isolated.Contains(message.To) || Drop(message)) return;
        _queue.Enqueue(message);
    }

    /// <summary>Handles Readies and delivers messages until nothing moves.</summary>
    public void Stabilize()
    {
        for (var round = 0; round < 10_000; round++)
        {
            var moved = false;
            foreach (var id in Nodes.Keys)
            {
                while (Nodes[id].HasReady())
                {
                    Handle(id);
                    moved = true;
                }
            }
            while (_queue.TryDequeue(out var message))
            {
                Nodes[message.To].Step(message);
                moved = true;
            }
            if (!moved) return;
        }
        throw new InvalidOperationException("The cluster did not stabilize.");
    }

    public void Elect(int id)
    {
        Nodes[id].Campaign();
        Stabilize();
        Assert.Equal(RaftRole.Leader, Nodes[id].Status.Role);
    }

    public void TickAll(int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            foreach (var core in Nodes.Values) core.Tick();
            Stabilize();
        }
    }

    public ProposeResult.Accepted Propose(int id, string command)
    {
        var result = Nodes[id].Propose(System.Text.Encoding.UTF8.GetBytes(command));
        return Assert.IsType<ProposeResult.Accepted>(result);
    }

    /// <summary>Replaces node <paramref name="id"/> with a fresh core built from what its disk holds (a crash).</summary>
    public void Restart(int id)
    {
        Disks[id].Applied.Clear();
        Disks[id].RestoredSnapshot = null;
        Nodes[id] = new RaftCore(Options(id), new FixedRandom(id - 1), Disks[id].ToDurableState());
    }

    public static byte[] Bytes(string s) => System.Text.Encoding.UTF8.GetBytes(s);
}

/// <summary>Helpers for driving one core by hand with crafted messages.</summary>
internal static class Solo
{
    public const ulong ClusterId = TestCluster.ClusterId;

    public static RaftOptions Options(int id, bool preVote = false, bool checkQuorum = false) =>
        CoreKnobs.For(id, ClusterId) with { PreVote = preVote, CheckQuorum = checkQuorum };

    /// <summary>A core whose durable log is the bootstrap entry followed by entries of the given terms.</summary>
    public static RaftCore Core(int id, int voters, long[]? terms = null, long term = 0, int vote = 0,
        RaftOptions? options = null, IRandomSource? random = null)
    {
        var entries = Log(voters, terms ?? []);
        var hardTerm = Math.Max(term, entries[^1].Term);
        return new RaftCore(options ?? Options(id), random ?? new FixedRandom(),
            new RaftDurableState(new HardState(hardTerm, vote), null, entries));
    }

    public static List<LogEntry> Log(int voters, long[] terms)
    {
        var entries = new List<LogEntry>
        {
            new(1, 0, EntryKind.Configuration, ClusterConfiguration.Of(Enumerable.Range(1, voters).ToArray()).Encode()),
        };
        for (var i = 0; i < terms.Length; i++)
            entries.Add(new LogEntry(i + 2, terms[i], EntryKind.Command, [(byte)i]));
        return entries;
    }

    /// <summary>Takes a Ready and advances it as a shell that persisted everything at once.</summary>
    public static Ready Drain(RaftCore core)
    {
        var ready = core.GetReady();
        core.Advance(ready);
        return ready;
    }

    public static IEnumerable<RaftMessage> AllMessages(this Ready ready) => ready.Messages.Concat(ready.MessagesAfterDurable);

    /// <summary>Ticks until the core campaigns (or the limit is reached).</summary>
    public static void TickUntil(RaftCore core, Func<RaftCore, bool> condition, int limit = 100)
    {
        for (var i = 0; i < limit && !condition(core); i++) core.Tick();
        Assert.True(condition(core), "condition not reached by ticking");
    }

    /// <summary>Makes a core leader of a solo-driven 3-node cluster by feeding it the votes it asks for.</summary>
    public static RaftCore Leader(int voters = 3, long[]? terms = null, RaftOptions? options = null)
    {
        var core = Core(1, voters, terms, options: options);
        core.Campaign();
        var ready = Drain(core);
        var term = core.Status.Term;
        foreach (var request in ready.Messages.OfType<RequestVote>().Where(r => !r.PreVote))
            core.Step(new RequestVoteResponse(ClusterId, request.To, 1, term, false, true));
        Assert.Equal(RaftRole.Leader, core.Status.Role);
        return core;
    }
}
