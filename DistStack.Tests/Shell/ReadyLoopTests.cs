using DistStack.Actors.Raft;
using DistStack.Actors.Shell;
using DistStack.Tests.Core;

namespace DistStack.Tests.Shell;

/// <summary>ReadyLoop with several writes in flight: what leaves when (Ready.cs, asynchronous storage writes).</summary>
public sealed class ReadyLoopTests
{
    private static LogEntry E(long index, long term) => new(index, term, EntryKind.Command, [(byte)index]);

    private static AppendEntries Append(long prevIndex, long prevTerm, params LogEntry[] entries) =>
        new(Solo.ClusterId, 1, 2, 1, prevIndex, prevTerm, entries, 1);

    [Fact]
    public void An_acknowledgement_with_nothing_to_write_waits_for_the_earlier_write_that_holds_its_entries()
    {
        var core = Solo.Core(2, 3);
        var loop = new ReadyLoop(core, maxInFlight: 4);
        core.Step(Append(1, 0, E(2, 1), E(3, 1)));
        var writing = loop.Take()!;
        Assert.Equal([2L, 3L], writing.Ready.Entries.Select(e => e.Index));

        core.Step(Append(1, 0, E(2, 1), E(3, 1))); // the leader re-sends: nothing new to write, but an acknowledgement
        var ackOnly = loop.Take()!;
        Assert.False(ackOnly.Ready.MustPersist);
        Assert.Empty(loop.Durable(ackOnly)); // its "I hold 3" is not true on disk yet

        var due = loop.Durable(writing);
        Assert.Equal(2, due.Count);
        Assert.All(due.SelectMany(d => d.SendNow), m => Assert.Equal(3, ((AppendEntriesResponse)m).MatchIndex));
        Assert.Equal(2, due.SelectMany(d => d.SendNow).Count());
        Assert.False(loop.InFlight);
    }

    [Fact]
    public void Takes_no_more_than_max_in_flight()
    {
        var core = Solo.Core(2, 3);
        var loop = new ReadyLoop(core, maxInFlight: 2);
        core.Step(Append(1, 0, E(2, 1)));
        var first = loop.Take()!;
        core.Step(Append(2, 1, E(3, 1)));
        var second = loop.Take()!;
        core.Step(Append(3, 1, E(4, 1)));
        Assert.Null(loop.Take());
        Assert.True(core.HasReady());

        loop.Durable(first);
        var third = loop.Take()!;
        Assert.Equal([4L], third.Ready.Entries.Select(e => e.Index));
        loop.Durable(second);
        loop.Durable(third);
        Assert.Throws<InvalidOperationException>(() => loop.Durable(third));
    }

    [Fact]
    public void A_conflict_inside_a_write_in_flight_is_overwritten_by_the_next_write()
    {
        var core = Solo.Core(2, 3);
        var loop = new ReadyLoop(core, maxInFlight: 4);
        core.Step(Append(1, 0, E(2, 1), E(3, 1), E(4, 1)));
        var first = loop.Take()!;
        // A new leader of term 2 overwrites 3 and 4 while they are still being written.
        core.Step(new AppendEntries(Solo.ClusterId, 3, 2, 2, 2, 1, [E(3, 2)], 1));
        var second = loop.Take()!;
        Assert.Equal([(3L, 2L)], second.Ready.Entries.Select(e => (e.Index, e.Term)));

        // The first write's acknowledgement (term 1, up to 4) still leaves: entries 2-4 of term 1 were on disk then.
        Assert.All(loop.Durable(first).SelectMany(d => d.SendNow), m => Assert.Equal(1, m.Term));
        var due = loop.Durable(second);
        var ack = Assert.IsType<AppendEntriesResponse>(Assert.Single(due.SelectMany(d => d.SendNow), m => m.Term == 2));
        Assert.Equal(3, ack.MatchIndex);
        Assert.Equal(3, core.Status.LastLogIndex);
    }
}
