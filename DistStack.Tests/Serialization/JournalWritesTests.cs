using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;

namespace DistStack.Tests.Serialization;

/// <summary>
/// What a write puts in the journal with several writes in flight: judged against what is queued, not only against
/// what is durable, and replayed by recovery to the log and hard state the core had.
/// </summary>
public sealed class JournalWritesTests
{
    internal static LogEntry E(long index, long term) => new(index, term, EntryKind.Command, [(byte)index]);

    internal static Ready Writing(HardState? hard, params LogEntry[] entries) =>
        new(null, hard, null, entries, [], [], [], []);

    /// <summary>A journal replayed to term 1 and entries 1-2 (also the start of JournalWriteBatchTests).</summary>
    internal static PersistedRaftState Recovered()
    {
        var state = new PersistedRaftState();
        state.Apply(new HardStateRecorded(1, 0));
        state.Apply(new EntriesAppended([E(1, 1), E(2, 1)]));
        return state;
    }

    [Fact]
    public void A_conflict_inside_a_write_still_in_flight_is_recorded_as_a_truncation()
    {
        var durable = Recovered();
        var writes = new JournalWrites(durable);
        var first = writes.For(Writing(null, E(3, 1), E(4, 1), E(5, 1)));   // in flight, not durable yet
        var second = writes.For(Writing(new HardState(2, 0), E(4, 2)));     // a new leader overwrites 4 and 5

        Assert.Equal(new LogTruncated(4), second.OfType<LogTruncated>().Single());
        foreach (var e in first.Concat(second)) durable.ApplyRecovered(e);
        Assert.Equal([(1L, 1L), (2, 1), (3, 1), (4, 2)], durable.Entries.Select(e => (e.Index, e.Term)));
    }

    [Fact]
    public void A_snapshot_save_records_the_latest_queued_hard_state_never_an_older_durable_one()
    {
        var durable = Recovered();
        var writes = new JournalWrites(durable);
        var vote = writes.For(Writing(new HardState(7, 3)));  // a vote in term 7, still in flight
        var save = writes.ForSnapshotSave();

        Assert.Equal(new HardStateRecorded(7, 3), save);
        foreach (var e in vote.Append(save)) durable.ApplyRecovered(e);
        Assert.Equal(new HardState(7, 3), durable.HardState); // replaying the save does not undo the vote
    }

    [Fact]
    public void An_unchanged_hard_state_and_no_entries_write_nothing()
    {
        var writes = new JournalWrites(Recovered());
        Assert.Empty(writes.For(Writing(new HardState(1, 0))));
        Assert.Empty(writes.For(Writing(null)));
    }
}
