using DistStack.Actors.Raft;

namespace DistStack.Tests.Simulation;

/// <summary>
/// The simulated network: seeded loss, duplication, delay and reordering, and links that can be cut in one or
/// both directions (partitions come and go). A cut link drops what it would deliver.
/// </summary>
internal sealed partial class SimCluster
{
    private bool[,]? _blockedStorage;
    private bool[,] _blocked => _blockedStorage ??= new bool[Settings.Slots, Settings.Slots];

    public double LossRate { get; set; } = -1;
    public double DuplicateRate { get; set; } = -1;
    public double LongDelayRate { get; set; } = -1;
    private double Loss => LossRate >= 0 ? LossRate : Settings.LossRate;
    private double Duplicate => DuplicateRate >= 0 ? DuplicateRate : Settings.DuplicateRate;
    private double LongDelay => LongDelayRate >= 0 ? LongDelayRate : Settings.LongDelayRate;

    /// <summary>Counts AppendEntries rejections per follower (fast back-up assertions).</summary>
    public long RejectionsFrom(int follower) => _rejections.GetValueOrDefault(follower);
    private readonly Dictionary<int, long> _rejections = [];

    private void Send(SimNode node, RaftMessage message, bool afterDurable)
    {
        if (message.From != node.Id) throw Fail($"n{node.Id} sent a message claiming to be from n{message.From}: {SimTrace.Describe(message)}");
        if (message.To < 1 || message.To > Settings.Slots || message.To == node.Id)
            throw Fail($"n{node.Id} sent a message to n{message.To}: {SimTrace.Describe(message)}");
        if (message.ClusterId != Settings.ClusterId) throw Fail($"n{node.Id} sent a message of cluster {message.ClusterId}");

        Stats.MessagesSent++;
        var type = message.GetType();
        Stats.SentByType[type] = Stats.SentByType.GetValueOrDefault(type) + 1;
        var link = (message.From, message.To, type);
        Stats.SentByLink[link] = Stats.SentByLink.GetValueOrDefault(link) + 1;
        if (message is AppendEntriesResponse { Success: false }) Stats.AppendRejections++;
        if (message is AppendEntriesResponse { Success: false }) _rejections[message.From] = _rejections.GetValueOrDefault(message.From) + 1;
        Trace.Add(Steps, Now, TraceKind.Send, node.Id, message, afterDurable ? 1 : 0);
        if (_chaosActive) MaybeCrashAfterPromise(node, message);

        if (_random.NextDouble() < Loss)
        {
            Stats.Dropped++;
            Trace.Add(Steps, Now, TraceKind.Drop, message.To, message, 1);
            return;
        }
        Schedule(new DeliverEvent(message), MessageDelay());
        if (_random.NextDouble() < Duplicate)
        {
            Stats.Duplicated++;
            Schedule(new DeliverEvent(message), MessageDelay());
        }
    }

    /// <summary>
    /// Targeted chaos: right after a node promised something (a vote, an append acknowledgement) it crashes and
    /// comes back quickly, so the promise must have survived on disk (a forgotten vote elects two leaders).
    /// </summary>
    private void MaybeCrashAfterPromise(SimNode node, RaftMessage message)
    {
        var chance = message switch
        {
            RequestVoteResponse { Granted: true, PreVote: false } => 0.08,
            AppendEntriesResponse { Success: true } => 0.003,
            _ => 0,
        };
        if (chance > 0 && _random.NextDouble() < chance)
            _queue.Enqueue(new CrashEvent(node.Id, node.Incarnation, _random.Next(1, 2 * Settings.TickInterval)), (Now, _sequence++));
    }

    private long MessageDelay()
    {
        if (_random.NextDouble() < LongDelay) return _random.Next(Settings.MaxDelay, Settings.LongDelayMax + 1);
        return _random.Next(Settings.MinDelay, Settings.MaxDelay + 1);
    }

    /// <summary>Cuts every link between the groups (both directions); nodes not named form a group of their own.</summary>
    public void Partition(params int[][] groups)
    {
        var groupOf = new int[Settings.Slots];
        Array.Fill(groupOf, -1);
        for (var g = 0; g < groups.Length; g++)
            foreach (var id in groups[g]) groupOf[id - 1] = g;
        for (var a = 0; a < Settings.Slots; a++)
            for (var b = 0; b < Settings.Slots; b++)
                _blocked[a, b] = a != b && (groupOf[a] != groupOf[b] || groupOf[a] == -1);
        Stats.Partitions++;
        Trace.Add(Steps, Now, TraceKind.Note, 0, "partition " + string.Join(" | ", groups.Select(g => string.Join(",", g))));
    }

    /// <summary>Cuts <paramref name="id"/> off from everyone, both ways.</summary>
    public void Isolate(int id)
    {
        for (var other = 1; other <= Settings.Slots; other++)
        {
            if (other == id) continue;
            _blocked[id - 1, other - 1] = true;
            _blocked[other - 1, id - 1] = true;
        }
        Stats.Partitions++;
        Trace.Add(Steps, Now, TraceKind.Note, id, "isolated");
    }

    /// <summary>One-way cut: messages from <paramref name="from"/> to <paramref name="to"/> are dropped.</summary>
    public void Block(int from, int to)
    {
        _blocked[from - 1, to - 1] = true;
        Trace.Add(Steps, Now, TraceKind.Note, from, $"link {from}->{to} cut");
    }

    public void Unblock(int from, int to) => _blocked[from - 1, to - 1] = false;

    /// <summary>Drops everything sent to <paramref name="id"/> (it can still talk).</summary>
    public void DropTo(int id)
    {
        for (var other = 1; other <= Settings.Slots; other++)
            if (other != id) _blocked[other - 1, id - 1] = true;
        Trace.Add(Steps, Now, TraceKind.Note, id, "everything to it is dropped");
    }

    public void Heal()
    {
        Array.Clear(_blocked);
        Trace.Add(Steps, Now, TraceKind.Note, 0, "healed");
    }
}
