using System.Collections.Immutable;
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
        // Built straight from stack nodes (a million Apply calls would dominate the test's time), plus a full
        // request-key table as a busy node would have.
        var top = StackValues.Empty;
        for (var i = 0; i < count; i++) top = top.Push(i.ToString("D16"));
        var keys = Enumerable.Range(0, 1_000)
            .Select(i => new RecordedKey($"request-{i:D8}", (long)count + i, 1_000 + i, i % 2 == 0, new StackResult(StackOutcome.Ok, Size: i), (ulong)i + 1))
            .ToList();
        var state = StackState.Restore(options,
            ImmutableDictionary<string, StackValues>.Empty.Add("big", top), RequestKeyTable.FromIndexOrder(keys), count + 1_000, 2_000);

        // Sized as a node sizes it: the last snapshot's bytes (here, its own) and what was applied since.
        var hint = StackSnapshotCodec.Write(state).Length;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var write = Stopwatch.StartNew();
        var bytes = StackSnapshotCodec.Write(state, hint);
        write.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var read = Stopwatch.StartNew();
        var restored = StackSnapshotCodec.Read(bytes, options);
        read.Stop();

        output.WriteLine($"1M x 16-byte values: {bytes.Length:N0} bytes, write {write.ElapsedMilliseconds} ms " +
                         $"allocating {allocated:N0} bytes, read {read.ElapsedMilliseconds} ms");
        Assert.Equal(state.Digest, restored.Digest);
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: count), restored.Query(new SizeOfStack("big")));
        Assert.Equal(new StackResult(StackOutcome.Ok, (count - 1).ToString("D16")), restored.Query(new TopOfStack("big")));
        Assert.Equal(1_000, restored.RememberedRequestKeys);
        Assert.Equal(count + 1_000, restored.AppliedIndex);
    }
}
