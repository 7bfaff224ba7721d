using Akka.Actor;
using Akka.TestKit.Xunit2;
using DistStack.Actors.Node;
using DistStack.Host.Gateway;

namespace DistStack.Tests.Host;

/// <summary>The gateway tells Raft whose key a command carries: the client's (kept 10 minutes) or its own (short).</summary>
public sealed class HttpGatewaySpec : TestKit
{
    [Fact]
    public void An_Idempotency_Key_is_marked_as_the_clients_and_a_generated_key_is_not()
    {
        var raftNode = CreateTestProbe();
        var gateway = Sys.ActorOf(HttpGateway.Props(raftNode.Ref, new GatewaySettings(TimeSpan.FromSeconds(5))));

        gateway.Tell(new RunCommand(CommandKind.Push, "s", "v", IdempotencyKey: "client-key"));
        var keyed = raftNode.ExpectMsg<ExecuteCommand>().Command;
        gateway.Tell(new RunCommand(CommandKind.Push, "s", "v", IdempotencyKey: null));
        var unkeyed = raftNode.ExpectMsg<ExecuteCommand>().Command;

        Assert.Equal("client-key", keyed.RequestKey);
        Assert.True(keyed.KeyFromClient);
        Assert.False(unkeyed.KeyFromClient);
        Assert.NotEqual("client-key", unkeyed.RequestKey);
    }
}
