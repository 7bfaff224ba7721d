using DistStack.Actors.Raft;

namespace DistStack.Actors.Shell;

/// <summary>
/// The Ready sequence of <see cref="Ready"/>'s persistence contract, decided in one place and carried out by every
/// runner of a node: RaftNode (Akka.Persistence and Akka.Remote) and the simulator (a simulated disk and network)
/// run this same class, so the order the simulator proves is the order production keeps. No Akka, no clock, no I/O.
///
/// A Ready is handled in two halves. <see cref="Take"/> gives what may happen at once: send
/// <see cref="ReadyTaken.SendNow"/>, start the write of <see cref="ReadyTaken.Ready"/>'s hard state, snapshot and
/// entries, and apply <see cref="ReadyTaken.ApplyNow"/> and serve <see cref="ReadyTaken.ReadsNow"/> while writes are in
/// flight (the core only hands out entries that were durable here before this Ready, so applying them promises
/// nothing about any write in flight). Up to <c>maxInFlight</c> Readies may be taken before the first is durable
/// (asynchronous storage writes); the runner must make their writes durable in the order they were taken. When a
/// Ready's write is durable (at once when it has nothing to write), the runner calls <see cref="Durable"/>, which
/// gives the second halves that are now due, oldest first: a Ready's second half waits for every earlier write,
/// because its acknowledgements may answer for entries an earlier Ready carries. Each second half advances the core.
/// With <c>maxInFlight</c> 1 this is the synchronous loop: one Ready at a time.
/// </summary>
public sealed class ReadyLoop
{
    private readonly RaftCore _core;
    private readonly int _maxInFlight;

    /// <summary>Readies taken and not yet advanced, oldest first, each with whether its write is durable yet.</summary>
    private readonly Queue<InFlightReady> _inFlight = new();

    private sealed class InFlightReady(ReadyTaken taken)
    {
        public ReadyTaken Taken { get; } = taken;
        public bool Durable { get; set; }
    }

    public ReadyLoop(RaftCore core, int maxInFlight)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        _core = core;
        _maxInFlight = maxInFlight;
    }

    /// <summary>At least one Ready was taken and its second half has not come yet.</summary>
    public bool InFlight => _inFlight.Count > 0;

    /// <summary>How many Readies were taken and have not been advanced yet.</summary>
    public int InFlightCount => _inFlight.Count;

    /// <summary>
    /// The next Ready's first half, or null when there is none, <c>maxInFlight</c> are in flight, or the core holds
    /// the next one back (a leader's snapshot goes alone). With <paramref name="holdSnapshot"/> (the runner is saving
    /// a snapshot of its own and can save only one at a time), a Ready that would install the leader's snapshot is
    /// not taken yet.
    /// </summary>
    public ReadyTaken? Take(bool holdSnapshot = false)
    {
        if (_inFlight.Count >= _maxInFlight || !_core.HasReady()) return null;
        if (holdSnapshot && _core.HasPendingSnapshot) return null;
        var ready = _core.GetReady();
        // A leader's snapshot replaces the state machine: what was committed after it applies only once it is restored.
        var taken = ready.Snapshot is null
            ? new ReadyTaken(ready, ready.Messages, ready.CommittedEntries, ready.ReadStates)
            : new ReadyTaken(ready, ready.Messages, [], []);
        _inFlight.Enqueue(new InFlightReady(taken));
        return taken;
    }

    /// <summary>
    /// <paramref name="taken"/>'s write is durable (call it at once for a Ready with nothing to write). Returns the
    /// second halves now due, oldest first (none while an earlier write is still in flight), and advances the core
    /// past each.
    /// </summary>
    public IReadOnlyList<ReadyDurable> Durable(ReadyTaken taken)
    {
        var marked = false;
        foreach (var inFlight in _inFlight)
        {
            if (!ReferenceEquals(inFlight.Taken, taken)) continue;
            if (inFlight.Durable) break;
            inFlight.Durable = marked = true;
            break;
        }
        if (!marked) throw new InvalidOperationException("Durable must be called once per Ready taken and not yet advanced.");

        List<ReadyDurable>? due = null;
        while (_inFlight.Count > 0 && _inFlight.Peek().Durable)
        {
            var ready = _inFlight.Dequeue().Taken.Ready;
            _core.Advance(ready);
            (due ??= []).Add(ready.Snapshot is null
                ? new ReadyDurable(ready.MessagesAfterDurable, null, [], [])
                : new ReadyDurable(ready.MessagesAfterDurable, ready.Snapshot, ready.CommittedEntries, ready.ReadStates));
        }
        return due ?? (IReadOnlyList<ReadyDurable>)[];
    }

    /// <summary>A crash or a stop: the Readies in flight are gone with the process (their writes never became durable).</summary>
    public void Abandon() => _inFlight.Clear();
}

/// <summary>
/// The first half of a Ready, to carry out at once: send <paramref name="SendNow"/>; make <paramref name="Ready"/>'s
/// <see cref="Ready.HardState"/>, <see cref="Ready.Snapshot"/> and <see cref="Ready.Entries"/> durable
/// (<see cref="Ready.MustPersist"/>); apply <paramref name="ApplyNow"/> in order and serve <paramref name="ReadsNow"/>
/// once applied up to their read index.
/// </summary>
public sealed record ReadyTaken(
    Ready Ready,
    IReadOnlyList<RaftMessage> SendNow,
    IReadOnlyList<LogEntry> ApplyNow,
    IReadOnlyList<ReadState> ReadsNow);

/// <summary>
/// The second half, once the write is durable, in this order: send <paramref name="SendNow"/> (votes and
/// acknowledgements); restore <paramref name="Restore"/> if set; apply <paramref name="ApplyNow"/>; serve
/// <paramref name="ReadsNow"/>.
/// </summary>
public sealed record ReadyDurable(
    IReadOnlyList<RaftMessage> SendNow,
    SnapshotData? Restore,
    IReadOnlyList<LogEntry> ApplyNow,
    IReadOnlyList<ReadState> ReadsNow);
