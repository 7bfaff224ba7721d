using System.Diagnostics;
using DistStack.Actors.Stacks;
using Xunit.Abstractions;

namespace DistStack.Tests.Stacks;

/// <summary>Information only (no timing assertion): how long a snapshot of a million 16-byte values takes.</summary>
public sealed class StackSnapshotBenchmark(ITestOutputHelper output)
{
    [Fact]
    public void Snapshot_of_a_million_values_round_trips()
    {
        const int count = 1_000_000;
        var options = new StackStateOptions(1_000);
        var state = StackState.Empty(options);
        (state, _) = state.Apply(1, new CreateStack("c", "big"));
        for (var i = 0; i < count; i++)
            (state, _) = state.Apply(i + 2, new PushValue($"p{i}", "big", i.ToString("D16")));

        var write = Stopwatch.StartNew();
        var bytes = StackSnapshotCodec.Write(state);
        write.Stop();
        var read = Stopwatch.StartNew();
        var restored = StackSnapshotCodec.Read(bytes, options);
        read.Stop();

        output.WriteLine($"1M x 16-byte values: {bytes.Length:N0} bytes, write {write.ElapsedMilliseconds} ms, read {read.ElapsedMilliseconds} ms");
        Assert.Equal(state.Digest, restored.Digest);
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: count), restored.Query(new SizeOfStack("big")));
        Assert.Equal(new StackResult(StackOutcome.Ok, (count - 1).ToString("D16")), restored.Query(new TopOfStack("big")));
        Assert.Equal(options.DedupWindowEntries, restored.RememberedRequestKeys - 1);
    }
}
