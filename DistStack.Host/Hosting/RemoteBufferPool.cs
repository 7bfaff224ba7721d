namespace DistStack.Host.Hosting;

/// <summary>
/// Akka.Remote's transport (DotNetty) pools its buffers in chunks of 8 KiB pages × 2^maxOrder, and it reads the size
/// from environment variables the first time a pool is built. Its default, 2^11, makes 16 MiB chunks, and a busy node
/// ended up holding six of them (~100 MB of a node's heap, in heap dumps at 400,000 values) for frames that are at most
/// a few hundred KiB (appends and snapshot chunks are bounded by max-bytes-per-append and snapshot-chunk-bytes). 2 MiB
/// chunks hold the same frames; anything larger than a chunk is allocated outside the pool. A value the operator set
/// in the environment wins.
/// </summary>
internal static class RemoteBufferPool
{
    private const string MaxOrderVariable = "io.netty.allocator.maxOrder";

    /// <summary>8 KiB pages × 2^8 = 2 MiB per chunk.</summary>
    private const string MaxOrder = "8";

    /// <summary>Call before the actor system starts (before any DotNetty pool is built).</summary>
    public static void UseSmallChunks()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(MaxOrderVariable)))
            Environment.SetEnvironmentVariable(MaxOrderVariable, MaxOrder);
    }
}
