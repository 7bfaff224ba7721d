using DistStack.Host.Hosting;

namespace DistStack.Tests.Host;

/// <summary>The host sizes DotNetty's buffer pool chunks before the actor system starts, unless the operator did.</summary>
public sealed class RemoteBufferPoolTests
{
    private const string Variable = "io.netty.allocator.maxOrder";

    [Fact]
    public void Small_chunks_are_chosen_unless_the_environment_already_says()
    {
        var before = Environment.GetEnvironmentVariable(Variable);
        try
        {
            Environment.SetEnvironmentVariable(Variable, null);
            RemoteBufferPool.UseSmallChunks();
            Assert.Equal("8", Environment.GetEnvironmentVariable(Variable));

            Environment.SetEnvironmentVariable(Variable, "11");
            RemoteBufferPool.UseSmallChunks();
            Assert.Equal("11", Environment.GetEnvironmentVariable(Variable));
        }
        finally
        {
            Environment.SetEnvironmentVariable(Variable, before);
        }
    }
}
