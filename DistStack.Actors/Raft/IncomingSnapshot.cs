namespace DistStack.Actors.Raft;

/// <summary>
/// A snapshot a follower is receiving chunk by chunk (§7). Chunks must arrive in order; anything else is answered
/// with the offset we actually want, so the leader resends from there.
/// </summary>
internal sealed class IncomingSnapshot(SnapshotMetadata metadata, long term, int leader)
{
    private readonly MemoryStream _data = new();

    public SnapshotMetadata Metadata { get; } = metadata;
    public long Term { get; } = term;
    public int Leader { get; } = leader;
    public long Received => _data.Length;

    public bool IsFor(SnapshotMetadata metadata, long term, int leader) =>
        Metadata == metadata && Term == term && Leader == leader;

    public void Add(byte[] chunk) => _data.Write(chunk);

    public SnapshotData Complete() => new(Metadata, _data.ToArray());
}
