using DistStack.Actors.Raft;

namespace DistStack.Tests.Core;

/// <summary>Log compaction and InstallSnapshot (§7), in chunks; restart from a snapshot.</summary>
public sealed class SnapshotTests
{
    private static readonly ClusterConfiguration Three = ClusterConfiguration.Of(1, 2, 3);

    /// <summary>Node 1 leads; node 3 missed 10 commands; node 1 then compacted its log past them.</summary>
    private static (TestCluster Cluster, SnapshotData Snapshot) LaggardBehindASnapshot(int chunkBytes = 100)
    {
        var cluster = new TestCluster(3, o => o with { SnapshotChunkBytes = chunkBytes });
        cluster.Elect(1);
        cluster.Isolate(3);
        for (var i = 0; i < 10; i++) cluster.Propose(1, $"c{i}");
        cluster.Stabilize();

        var applied = cluster[1].Status.AppliedIndex;
        Assert.Equal(12, applied);
        var data = Enumerable.Range(0, 250).Select(i => (byte)i).ToArray();
        var snapshot = new SnapshotData(new SnapshotMetadata(applied, 1, Three), data);
        cluster[1].Compact(snapshot);
        Assert.Equal(12, cluster[1].Status.SnapshotIndex);
        return (cluster, snapshot);
    }

    [Fact]
    public void A_follower_missing_compacted_entries_receives_the_snapshot_in_chunks_and_installs_it()
    {
        var (cluster, snapshot) = LaggardBehindASnapshot();
        cluster.Heal();
        cluster.TickAll(3);

        var chunks = cluster.Sent.OfType<InstallSnapshot>().Where(c => c.To == 3).ToList();
        Assert.Equal([0L, 100L, 200L], chunks.Select(c => c.Offset).Distinct());
        Assert.All(chunks, c => Assert.True(c.Chunk.Length <= 100));
        Assert.True(chunks.Single(c => c.Offset == 200).Done);

        var disk = cluster.Disks[3];
        Assert.Equal(snapshot.Data, disk.Snapshot!.Data);
        Assert.Equal(snapshot.Metadata, disk.Snapshot.Metadata);
        Assert.Equal(snapshot.Data, disk.RestoredSnapshot!.Data);
        Assert.Equal((12L, 12L), (cluster[3].Status.SnapshotIndex, cluster[3].Status.AppliedIndex));

        // Replication resumes after the snapshot.
        cluster.Propose(1, "after");
        cluster.Stabilize();
        Assert.Equal(13, cluster[3].Status.AppliedIndex);
        Assert.Equal("after", System.Text.Encoding.UTF8.GetString(disk.Applied[^1].Data));
    }

    [Fact]
    public void Only_one_chunk_is_in_flight_at_a_time()
    {
        var (cluster, _) = LaggardBehindASnapshot();
        cluster.Heal();
        cluster.Drop = m => m is InstallSnapshotResponse;
        cluster.TickAll(5);
        var chunks = cluster.Sent.OfType<InstallSnapshot>().Where(c => c.To == 3).ToList();
        Assert.NotEmpty(chunks);
        Assert.All(chunks, c => Assert.Equal(0, c.Offset)); // unanswered: at most resent, never the next one
        Assert.True(chunks.Count <= 3, $"{chunks.Count} resends in 5 ticks");
    }

    [Fact]
    public void A_lost_chunk_is_sent_again_from_the_offset_the_follower_wants()
    {
        var (cluster, snapshot) = LaggardBehindASnapshot();
        cluster.Heal();
        var lost = false;
        cluster.Drop = m => m is InstallSnapshot { Offset: 100 } && !lost && (lost = true);
        cluster.TickAll(6);

        var offsets = cluster.Sent.OfType<InstallSnapshot>().Where(c => c.To == 3).Select(c => c.Offset).ToList();
        Assert.True(offsets.Count(o => o == 100) >= 2, string.Join(",", offsets));
        Assert.Equal(snapshot.Data, cluster.Disks[3].Snapshot!.Data);
        Assert.Equal(12, cluster[3].Status.AppliedIndex);
    }

    [Fact]
    public void The_snapshot_done_acknowledgement_waits_for_durability()
    {
        var follower = Solo.Core(2, 3, term: 1);
        var metadata = new SnapshotMetadata(10, 1, Three);
        follower.Step(new InstallSnapshot(Solo.ClusterId, 1, 2, 1, metadata, 0, [1, 2], false));
        var first = Solo.Drain(follower);
        var partial = Assert.IsType<InstallSnapshotResponse>(first.Messages.Single());
        Assert.Equal((2L, false), (partial.NextOffset, partial.Done));
        Assert.Null(first.Snapshot);

        follower.Step(new InstallSnapshot(Solo.ClusterId, 1, 2, 1, metadata, 2, [3], true));
        var ready = Solo.Drain(follower);
        Assert.Equal(new byte[] { 1, 2, 3 }, ready.Snapshot!.Data);
        var done = Assert.IsType<InstallSnapshotResponse>(ready.MessagesAfterDurable.Single());
        Assert.True(done.Done);
        Assert.Empty(ready.Messages);
        Assert.Equal((10L, 10L, 10L), (follower.Status.CommitIndex, follower.Status.AppliedIndex, follower.Status.LastLogIndex));
    }

    [Fact]
    public void An_out_of_order_chunk_is_answered_with_the_offset_wanted()
    {
        var follower = Solo.Core(2, 3, term: 1);
        var metadata = new SnapshotMetadata(10, 1, Three);
        follower.Step(new InstallSnapshot(Solo.ClusterId, 1, 2, 1, metadata, 5, [1], false));
        Assert.Equal(0, ((InstallSnapshotResponse)Solo.Drain(follower).Messages.Single()).NextOffset);

        follower.Step(new InstallSnapshot(Solo.ClusterId, 1, 2, 1, metadata, 0, [1, 2], false));
        follower.Step(new InstallSnapshot(Solo.ClusterId, 1, 2, 1, metadata, 4, [5], false));
        var replies = Solo.Drain(follower).Messages.Cast<InstallSnapshotResponse>().ToList();
        Assert.Equal([2L, 2L], replies.Select(r => r.NextOffset));
    }

    [Fact]
    public void Chunks_beyond_the_incoming_snapshot_bound_drop_the_transfer_and_ask_for_it_from_the_start()
    {
        var follower = Solo.Core(2, 3, term: 1, options: Solo.Options(2) with { MaxIncomingSnapshotBytes = 3 });
        var metadata = new SnapshotMetadata(10, 1, Three);
        follower.Step(new InstallSnapshot(Solo.ClusterId, 1, 2, 1, metadata, 0, [1, 2], false));
        follower.Step(new InstallSnapshot(Solo.ClusterId, 1, 2, 1, metadata, 2, [3, 4], true));
        var replies = Solo.Drain(follower).Messages.Cast<InstallSnapshotResponse>().ToList();

        Assert.Equal([2L, 0L], replies.Select(r => r.NextOffset));
        Assert.All(replies, r => Assert.False(r.Done));
        Assert.Equal(0, follower.Status.SnapshotIndex);
        // Nothing was kept: the next chunk at offset 2 is not taken as a continuation.
        follower.Step(new InstallSnapshot(Solo.ClusterId, 1, 2, 1, metadata, 2, [3], true));
        Assert.Equal(0, ((InstallSnapshotResponse)Solo.Drain(follower).Messages.Single()).NextOffset);
    }

    [Fact]
    public void A_configuration_entry_that_does_not_decode_is_refused_with_the_whole_append()
    {
        var follower = Solo.Core(2, 3, term: 1);
        Solo.Drain(follower);
        follower.Step(new AppendEntries(Solo.ClusterId, 1, 2, 1, 1, 0,
            [new LogEntry(2, 1, EntryKind.Configuration, [0xff, 0xff, 0xff, 0x7f])], 2));

        Assert.False(follower.HasReady());
        Assert.Equal(1, follower.Status.LastLogIndex);
    }

    [Fact]
    public void A_snapshot_older_than_the_followers_commit_is_acknowledged_without_installing()
    {
        var follower = Solo.Core(2, 3, terms: [1, 1, 1, 1], term: 1);
        follower.Step(new Heartbeat(Solo.ClusterId, 1, 2, 1, 5, 0));
        Solo.Drain(follower);
        Assert.Equal(5, follower.Status.CommitIndex);

        follower.Step(new InstallSnapshot(Solo.ClusterId, 1, 2, 1, new SnapshotMetadata(3, 1, Three), 0, [9], true));
        var ready = Solo.Drain(follower);
        Assert.Null(ready.Snapshot);
        var done = Assert.IsType<InstallSnapshotResponse>(ready.MessagesAfterDurable.Single());
        Assert.True(done.Done);
        Assert.Equal(5, follower.Status.LastLogIndex);
    }

    [Fact]
    public void A_restarted_node_starts_with_commit_and_applied_at_its_snapshot()
    {
        var snapshot = new SnapshotData(new SnapshotMetadata(40, 3, Three), [1]);
        var entries = new[] { new LogEntry(41, 3, EntryKind.Command, [2]) };
        var core = new RaftCore(Solo.Options(2), new FixedRandom(), new RaftDurableState(new HardState(3, 1), snapshot, entries));
        var status = core.Status;
        Assert.Equal((40L, 40L, 40L, 41L), (status.CommitIndex, status.AppliedIndex, status.SnapshotIndex, status.LastLogIndex));
        Assert.Equal(Three, status.Configuration);
        Assert.False(core.HasReady());
    }

    [Fact]
    public void The_bootstrap_entry_is_committed_by_construction()
    {
        var core = new RaftCore(Solo.Options(1), new FixedRandom(), RaftBootstrap.Initial(Three));
        Assert.Equal((1L, 0L), (core.Status.CommitIndex, core.Status.AppliedIndex));
        var ready = Solo.Drain(core);
        Assert.Equal(EntryKind.Configuration, Assert.Single(ready.CommittedEntries).Kind);
        Assert.Empty(ready.Entries); // already durable
        Assert.Equal(Three, core.Status.Configuration);
    }

    [Fact]
    public void Compacting_beyond_what_is_applied_is_refused()
    {
        var core = Solo.Core(1, 1, terms: [1, 1]);
        Solo.Drain(core);
        Assert.Throws<ArgumentException>(() =>
            core.Compact(new SnapshotData(new SnapshotMetadata(3, 1, ClusterConfiguration.Of(1)), [])));
    }
}
