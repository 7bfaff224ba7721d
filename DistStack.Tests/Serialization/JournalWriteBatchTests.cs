using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;
using DistStack.Actors.Shell;
using static DistStack.Tests.Serialization.JournalWritesTests;

namespace DistStack.Tests.Serialization;

/// <summary>
/// Readies batched into one journal write (taken while another write was in flight): replaying the batch gives the
/// log and hard state that replaying each Ready's own write would have given, in fewer events.
/// </summary>
public sealed class JournalWriteBatchTests
{
    private static ReadyTaken Taken(HardState? hard, params LogEntry[] entries) =>
        new(Writing(hard, entries), [], [], []);

    [Fact]
    public void Contiguous_entries_of_several_Readies_become_one_event_and_replay_as_written_one_by_one()
    {
        var writes = new JournalWrites(Recovered());
        var batch = new JournalWriteBatch();
        var readies = new[] { Taken(null, E(3, 1)), Taken(null, E(4, 1), E(5, 1)), Taken(null, E(6, 1)) };
        var oneByOne = new List<object>();
        foreach (var taken in readies)
        {
            var events = writes.For(taken.Ready);
            oneByOne.AddRange(events);
            batch.Add(taken, events);
        }

        var (batched, events2, entries) = batch.Take();
        Assert.Equal(readies, batched);
        Assert.Equal(4, entries);
        Assert.Equal([3L, 4, 5, 6], Assert.IsType<EntriesAppended>(Assert.Single(events2)).Entries.Select(e => e.Index));
        AssertReplaysAlike(oneByOne, events2);
        Assert.True(batch.IsEmpty);
    }

    [Fact]
    public void A_vote_and_a_conflict_inside_the_batch_keep_their_order()
    {
        var writes = new JournalWrites(Recovered());
        var batch = new JournalWriteBatch();
        var oneByOne = new List<object>();
        foreach (var taken in new[] { Taken(null, E(3, 1), E(4, 1)), Taken(new HardState(2, 5)), Taken(null, E(4, 2)), Taken(null, E(5, 2)) })
        {
            var events = writes.For(taken.Ready);
            oneByOne.AddRange(events);
            batch.Add(taken, events);
        }

        var (_, events2, _) = batch.Take();
        Assert.Equal(
            [typeof(EntriesAppended), typeof(HardStateRecorded), typeof(LogTruncated), typeof(EntriesAppended)],
            events2.Select(e => e.GetType()));
        AssertReplaysAlike(oneByOne, events2);
    }

    private static void AssertReplaysAlike(IEnumerable<object> oneByOne, IEnumerable<object> batched)
    {
        var expected = Recovered();
        foreach (var e in oneByOne) expected.ApplyRecovered(e);
        var actual = Recovered();
        foreach (var e in batched) actual.ApplyRecovered(e);
        Assert.Equal(expected.HardState, actual.HardState);
        Assert.Equal(expected.Entries.Select(e => (e.Index, e.Term)), actual.Entries.Select(e => (e.Index, e.Term)));
    }
}
