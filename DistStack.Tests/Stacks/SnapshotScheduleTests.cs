using DistStack.Actors.Stacks;

namespace DistStack.Tests.Stacks;

public sealed class SnapshotScheduleTests
{
    [Fact]
    public void The_first_snapshot_is_due_after_every_entries_alone()
    {
        var schedule = new SnapshotSchedule(everyEntries: 10, logGrowthRatio: 0.25);
        for (var i = 1; i <= 9; i++) schedule.Applied(100);
        Assert.False(schedule.IsDue(9));
        schedule.Applied(100);
        Assert.True(schedule.IsDue(10));
    }

    [Fact]
    public void A_big_snapshot_waits_until_the_log_has_grown_by_the_ratio_of_its_size()
    {
        var schedule = TookSnapshot(atIndex: 10, bytes: 4_000, ratio: 0.25);

        // 10 more entries of 50 bytes: the interval is reached, but 500 < 0.25 x 4000.
        for (var i = 0; i < 10; i++) schedule.Applied(50);
        Assert.False(schedule.IsDue(20));

        for (var i = 0; i < 10; i++) schedule.Applied(50);
        Assert.True(schedule.IsDue(30)); // 1000 bytes = 0.25 x 4000
    }

    [Fact]
    public void Ratio_zero_keeps_the_fixed_interval()
    {
        var schedule = TookSnapshot(atIndex: 10, bytes: 1_000_000, ratio: 0);
        Assert.False(schedule.IsDue(19));
        Assert.True(schedule.IsDue(20));
    }

    [Fact]
    public void Never_two_at_once_and_a_failed_save_is_retried()
    {
        var schedule = new SnapshotSchedule(everyEntries: 1, logGrowthRatio: 0.25);
        schedule.Applied(10);
        Assert.True(schedule.IsDue(1));
        schedule.Started();
        schedule.Applied(10);
        Assert.False(schedule.IsDue(2));

        schedule.Completed(1, saved: false);
        Assert.True(schedule.IsDue(2));
        Assert.Equal(0, schedule.LastIndex);
    }

    [Fact]
    public void Entries_applied_while_a_snapshot_is_written_count_towards_the_next()
    {
        var schedule = new SnapshotSchedule(everyEntries: 1, logGrowthRatio: 1.0);
        schedule.Applied(100);
        schedule.Started();          // covers the first 100 bytes
        schedule.Serialized(200);
        schedule.Applied(150);       // applied while it was being saved
        schedule.Completed(1, saved: true);

        Assert.Equal(1, schedule.LastIndex);
        Assert.False(schedule.IsDue(2)); // 150 < 1.0 x 200
        schedule.Applied(50);
        Assert.True(schedule.IsDue(3));
    }

    [Fact]
    public void A_restored_snapshot_restarts_the_count_from_its_index_and_size()
    {
        var schedule = new SnapshotSchedule(everyEntries: 5, logGrowthRatio: 0.5);
        schedule.Applied(1_000);
        schedule.Restored(index: 100, bytes: 1_000);
        Assert.Equal(100, schedule.LastIndex);
        Assert.False(schedule.IsDue(105));
        schedule.Applied(500);
        Assert.True(schedule.IsDue(105));
    }

    [Fact]
    public void Members_get_staggered_thresholds_so_they_do_not_snapshot_at_the_same_index()
    {
        // every-entries 100, ratio 0: member 1 of 5 at 100, member 3 at 125, member 5 at 150.
        var first = SnapshotSchedule.ForMember(100, 0, nodeId: 1, memberCount: 5);
        var middle = SnapshotSchedule.ForMember(100, 0, nodeId: 3, memberCount: 5);
        var last = SnapshotSchedule.ForMember(100, 0, nodeId: 5, memberCount: 5);
        Assert.True(first.IsDue(100));
        Assert.False(middle.IsDue(124));
        Assert.True(middle.IsDue(125));
        Assert.False(last.IsDue(149));
        Assert.True(last.IsDue(150));

        // A single node keeps the configured thresholds.
        Assert.True(SnapshotSchedule.ForMember(100, 0, nodeId: 1, memberCount: 1).IsDue(100));
    }

    [Fact]
    public void Nonsense_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SnapshotSchedule(0, 0.25));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SnapshotSchedule(1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SnapshotSchedule(1, double.NaN));
    }

    private static SnapshotSchedule TookSnapshot(long atIndex, long bytes, double ratio)
    {
        var schedule = new SnapshotSchedule(everyEntries: 10, logGrowthRatio: ratio);
        for (var i = 0; i < atIndex; i++) schedule.Applied(1);
        Assert.True(schedule.IsDue(atIndex));
        schedule.Started();
        schedule.Serialized(bytes);
        schedule.Completed(atIndex, saved: true);
        return schedule;
    }
}
