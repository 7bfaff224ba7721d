using DistStack.Actors.Shell;
using DistStack.Actors.Stacks;

namespace DistStack.Tests.Shell;

public sealed class CommandFormatGateTests
{
    private static readonly StackCommand Batch = new PushValues("k", "s", ["a", "b"]);

    [Fact]
    public void Single_value_commands_never_wait_for_anyone()
    {
        var gate = new CommandFormatGate(1, [1, 2, 3]);
        Assert.Null(gate.Refusal(new PushValue("k", "s", "v")));
        Assert.Null(gate.Refusal(new PopValue("k", "s")));
    }

    [Fact]
    public void A_batch_waits_until_every_member_down_ones_included_has_said_it_reads_format_3()
    {
        var gate = new CommandFormatGate(1, [1, 2, 3]);
        Assert.Contains("2, 3", gate.Refusal(Batch));
        gate.Hear(2, 3);
        Assert.Contains("member(s) 3", gate.Refusal(Batch));
        gate.Hear(3, 3);
        Assert.Null(gate.Refusal(Batch));
        Assert.Null(gate.Refusal(new PopValues("k", "s", 2)));
    }

    [Fact]
    public void A_member_that_comes_back_older_closes_the_gate_again()
    {
        var gate = new CommandFormatGate(1, [1, 2]);
        gate.Hear(2, 3);
        Assert.Null(gate.Refusal(Batch));
        gate.Hear(2, 2);
        Assert.NotNull(gate.Refusal(Batch));
    }

    [Fact]
    public void Strangers_do_not_count()
    {
        var gate = new CommandFormatGate(1, [1, 2]);
        gate.Hear(7, 3);
        Assert.NotNull(gate.Refusal(Batch));
    }

    [Fact]
    public void What_was_heard_before_a_restart_still_counts_and_only_changes_are_reported()
    {
        var before = new CommandFormatGate(1, [1, 2, 3]);
        Assert.True(before.Hear(2, 3));
        Assert.False(before.Hear(2, 3));
        Assert.True(before.Hear(3, 3));

        var restarted = new CommandFormatGate(1, [1, 2, 3], remembered: before.Heard);
        Assert.Null(restarted.Refusal(Batch));
        Assert.True(restarted.Hear(3, 2)); // rolled back
        Assert.NotNull(restarted.Refusal(Batch));
    }

    [Fact]
    public void Snapshots_are_compressed_only_once_every_member_reads_level_4_and_not_after_one_comes_back_older()
    {
        var gate = new CommandFormatGate(1, [1, 2, 3]);
        Assert.False(gate.EveryMemberReadsCompressedSnapshots);
        gate.Hear(2, 4);
        gate.Hear(3, 3); // reads batches, not compressed snapshots
        Assert.False(gate.EveryMemberReadsCompressedSnapshots);
        Assert.Null(gate.Refusal(Batch));
        gate.Hear(3, 4);
        Assert.True(gate.EveryMemberReadsCompressedSnapshots);
        gate.Hear(2, 3); // rolled back
        Assert.False(gate.EveryMemberReadsCompressedSnapshots);
        Assert.True(new CommandFormatGate(1, [1]).EveryMemberReadsCompressedSnapshots);
    }

    [Fact]
    public void A_one_member_cluster_takes_batches_at_once() =>
        Assert.Null(new CommandFormatGate(1, [1]).Refusal(Batch));
}
