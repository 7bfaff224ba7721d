namespace DistStack.Actors.Raft;

/// <summary>
/// A snapshot a follower is receiving chunk by chunk (§7). Chunks must arrive in order; anything else is answered
/// with the offset we actually want, so the leader resends from there.
/// </summary>
internal sealed class IncomingSnapshot(SnapshotMetadata metadata, long term, int leader)
{
    private readonly List<byte[]> _chunks = [];

    public SnapshotMetadata Metadata { get; } = metadata;
    public long Term { get; } = term;
    public int Leader { get; } = leader;
    public long Received { get; private set; }

    public bool IsFor(SnapshotMetadata metadata, long term, int leader) =>
        Metadata == metadata && Term == term && Leader == leader;

    public void Add(byte[] chunk)
    {
        _chunks.Add(chunk);
        Received += chunk.Length;
    }

    public SnapshotData Complete()
    {
        var data = new byte[Received];
        var offset = 0;
        foreach (var chunk in _chunks)
        {
            chunk.CopyTo(data, offset);
            offset += chunk.Length;
        }
        return new SnapshotData(Metadata, data);
    }
}
