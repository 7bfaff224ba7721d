using DistStack.Tests.Linearizability;

namespace DistStack.Tests.Chaos;

public sealed class ChaosReportTests
{
    private static HistoryOp Write(int id, long invoked, long completed, OpStatus status = OpStatus.Ok) =>
        new(id, 1, "s", StackOpKind.Push, $"v{id}", invoked, status == OpStatus.Unknown ? null : completed, status,
            status == OpStatus.Ok ? StackOpResult.WithSize(id) : null);

    [Fact]
    public void Longest_write_gap_counts_only_acknowledged_writes_and_the_workload_edges()
    {
        var history = new List<HistoryOp>
        {
            Write(1, 0, 100),
            Write(2, 150, 200),
            Write(3, 210, 5000, OpStatus.Unknown),
            new(4, 1, "s", StackOpKind.Top, null, 300, 900, OpStatus.Ok, StackOpResult.WithValue("v2")),
            Write(5, 500, 1200),
            Write(6, 1300, 1400),
        };
        Assert.Equal((1000L, 200L), ChaosReport.LongestWriteGap(history, 0, 1500));
        Assert.Equal((1600L, 1400L), ChaosReport.LongestWriteGap(history, 0, 3000));
    }

    [Fact]
    public void Leader_kill_recovery_is_the_first_acknowledged_write_invoked_after_the_kill()
    {
        var history = new List<HistoryOp>
        {
            Write(1, 900, 1500), // invoked before the kill: does not count
            Write(2, 1100, 2600),
            Write(3, 1200, 2100),
            Write(4, 5100, 5300),
        };
        var faults = new List<FaultEvent>
        {
            new(FaultKind.KillLeader, "n1", 1, 1000, 1200, ""),
            new(FaultKind.KillFollower, "n2", 1, 4000, 4200, ""),
            new(FaultKind.KillLeader, "n3", 3, 5000, 5200, ""),
            new(FaultKind.KillLeader, "n3", null, 6000, 6200, ""), // no leader known: not a leader kill
        };
        Assert.Equal([1100L, 300L], ChaosReport.LeaderKillRecoveries(history, faults));
    }
}
