using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;

namespace DistStack.Tests.Serialization;

/// <summary>
/// Recovery folds journal events into the persisted Raft state. Journals written before entries were batched
/// into one row per write hold one EntryAppended per entry: both kinds, mixed, must replay to the same log.
/// </summary>
public sealed class JournalReplayTests
{
    private static LogEntry Entry(long index, long term) => new(index, term, EntryKind.Command, [(byte)index]);

    [Fact]
    public void Single_and_batched_appends_and_a_truncation_replay_to_one_log()
    {
        var state = new PersistedRaftState();
        state.Apply(new NodeBootstrapped(7, 1, ClusterConfiguration.Of(1, 2, 3)));
        state.Apply(new EntryAppended(new LogEntry(1, 0, EntryKind.Configuration, ClusterConfiguration.Of(1, 2, 3).Encode())));
        state.Apply(new EntryAppended(Entry(2, 1)));                       // an older node's journal
        state.Apply(new EntriesAppended([Entry(3, 1), Entry(4, 1), Entry(5, 1)]));
        state.Apply(new LogTruncated(4));                                  // a conflict with a new leader
        state.Apply(new EntriesAppended([Entry(4, 2), Entry(5, 2), Entry(6, 2)]));

        Assert.Equal(6, state.LastIndex);
        Assert.Equal([0L, 1, 1, 2, 2, 2], state.Entries.Select(e => e.Term));
        Assert.Equal([1L, 2, 3, 4, 5, 6], state.Entries.Select(e => e.Index));
    }

    [Fact]
    public void A_live_write_that_leaves_a_gap_is_refused_as_a_bug()
    {
        var state = new PersistedRaftState();
        state.Apply(new EntriesAppended([Entry(1, 1), Entry(2, 1)]));
        Assert.Throws<InvalidOperationException>(() => state.Apply(new EntriesAppended([Entry(4, 1)])));
    }

    [Fact]
    public void Recovery_drops_entries_written_after_a_failed_write_and_keeps_what_follows_the_log_again()
    {
        // Writes 2 and 3 were queued behind write 1, which failed; they reached the disk, it did not.
        var state = new PersistedRaftState();
        state.ApplyRecovered(new EntriesAppended([Entry(1, 1), Entry(2, 1)]));
        // (write 1, entries 3..4, failed)
        state.ApplyRecovered(new HardStateRecorded(3, 2));
        state.ApplyRecovered(new EntriesAppended([Entry(5, 2), Entry(6, 2)]));
        state.ApplyRecovered(new EntriesAppended([Entry(7, 2)]));

        Assert.Equal(2, state.LastIndex);
        Assert.Equal(new HardState(3, 2), state.HardState); // a later term or vote is kept: it only makes the node stricter
        Assert.Equal((5L, 3), state.DroppedAfterGap);

        // A later write that rewrote the log from a point it holds (a conflict truncation) follows it again.
        state.ApplyRecovered(new LogTruncated(3));
        state.ApplyRecovered(new EntriesAppended([Entry(3, 3)]));
        Assert.Equal([1L, 2, 3], state.Entries.Select(e => e.Index));
    }
}
