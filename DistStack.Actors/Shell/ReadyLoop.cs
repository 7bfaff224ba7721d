using DistStack.Actors.Raft;

namespace DistStack.Actors.Shell;

/// <summary>
/// The Ready sequence of <see cref="Ready"/>'s persistence contract, decided in one place and carried out by every
/// runner of a node: RaftNode (Akka.Persistence and Akka.Remote) and the simulator (a simulated disk and network)
/// run this same class, so the order the simulator proves is the order production keeps. No Akka, no clock, no I/O.
///
/// A Ready is handled in two halves. <see cref="Take"/> gives what may happen at once: send
/// <see cref="ReadyTaken.SendNow"/>, write <see cref="ReadyTaken.Ready"/>'s hard state, snapshot and entries, and
/// apply <see cref="ReadyTaken.ApplyNow"/> and serve <see cref="ReadyTaken.ReadsNow"/> while that write is in flight
/// (the core only hands out entries that were durable here before this Ready, so applying them promises nothing
/// about this write; waiting would make every client wait one more fsync than its own entry needs). Once the write
/// is durable (at once when there is nothing to write), <see cref="Durable"/> gives the rest: the messages that
/// promise durability, and with a leader's snapshot the restore and then the entries that follow it. It advances
/// the core; only then is the next Ready taken. At most one Ready is ever in flight.
/// </summary>
public sealed class ReadyLoop(RaftCore core)
{
    private Ready? _inFlight;

    /// <summary>A Ready was taken and its <see cref="Durable"/> has not come yet.</summary>
    public bool InFlight => _inFlight is not null;

    /// <summary>
    /// The next Ready's first half, or null when there is none or one is still in flight. With
    /// <paramref name="holdSnapshot"/> (the runner is saving a snapshot of its own and can save only one at a time),
    /// a Ready that would install the leader's snapshot is not taken yet.
    /// </summary>
    public ReadyTaken? Take(bool holdSnapshot = false)
    {
        if (_inFlight is not null || !core.HasReady()) return null;
        if (holdSnapshot && core.HasPendingSnapshot) return null;
        var ready = core.GetReady();
        _inFlight = ready;
        // A leader's snapshot replaces the state machine: what was committed after it applies only once it is restored.
        return ready.Snapshot is null
            ? new ReadyTaken(ready, ready.Messages, ready.CommittedEntries, ready.ReadStates)
            : new ReadyTaken(ready, ready.Messages, [], []);
    }

    /// <summary>The taken Ready's write is durable: its second half. Advances the core.</summary>
    public ReadyDurable Durable(ReadyTaken taken)
    {
        if (!ReferenceEquals(_inFlight, taken.Ready))
            throw new InvalidOperationException("Durable must be called once, for the Ready taken last.");
        _inFlight = null;
        var ready = taken.Ready;
        core.Advance(ready);
        return ready.Snapshot is null
            ? new ReadyDurable(ready.MessagesAfterDurable, null, [], [])
            : new ReadyDurable(ready.MessagesAfterDurable, ready.Snapshot, ready.CommittedEntries, ready.ReadStates);
    }

    /// <summary>A crash or a stop: the Ready in flight is gone with the process (its write never became durable).</summary>
    public void Abandon() => _inFlight = null;
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
