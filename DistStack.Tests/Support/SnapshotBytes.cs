using System.IO.Compression;
using DistStack.Actors.Stacks;
using DistStack.Actors.Wire;

namespace DistStack.Tests.Support;

/// <summary>The version 3 snapshot inside a version 4 one (which is it, Brotli-compressed), decoded here
/// independently of the codec so that tests can pin and corrupt the layout itself.</summary>
internal static class SnapshotBytes
{
    public static byte[] Uncompressed(byte[] snapshot)
    {
        Assert.Equal(StackSnapshotCodec.CurrentVersion, snapshot[0]);
        var reader = new WireReader(snapshot, "test snapshot");
        reader.ReadByte();
        var uncompressed = new byte[(int)reader.ReadVarUInt()];
        Assert.True(BrotliDecoder.TryDecompress(snapshot.AsSpan(snapshot.Length - reader.Remaining), uncompressed, out var written));
        Assert.Equal(uncompressed.Length, written);
        return uncompressed;
    }
}
