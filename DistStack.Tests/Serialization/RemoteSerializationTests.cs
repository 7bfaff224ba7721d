using Akka.Actor;
using Akka.Configuration;
using DistStack.Actors.Node;
using DistStack.Actors.Observability;
using DistStack.Actors.Raft;
using DistStack.Actors.Serialization;
using DistStack.Actors.Stacks;
using DistStack.Tests.Support;

namespace DistStack.Tests.Serialization;

/// <summary>
/// Messages really crossing Akka.Remote over loopback between two ActorSystems configured with
/// SerializationConfig: each is sent to an echo actor on the other system and must come back equal.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RemoteSerializationTests : IAsyncLifetime
{
    private static readonly Config RemoteConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp.hostname = "127.0.0.1"
        akka.remote.dot-netty.tcp.port = 0
        """).WithFallback(SerializationConfig.Config);

    private ActorSystem _sender = null!;
    private ActorSystem _receiver = null!;
    private ActorSelection _echo = null!;

    public Task InitializeAsync()
    {
        _sender = ActorSystem.Create("diststack", RemoteConfig);
        _receiver = ActorSystem.Create("diststack", RemoteConfig);
        _receiver.ActorOf(Props.Create(() => new EchoActor()), "echo");
        var address = ((ExtendedActorSystem)_receiver).Provider.DefaultAddress;
        Assert.Equal("127.0.0.1", address.Host);
        _echo = _sender.ActorSelection($"{address}/user/echo");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_sender.Terminate(), _receiver.Terminate()).WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Raft_and_node_messages_cross_akka_remote_and_come_back_equal()
    {
        foreach (var message in SerializationSamples.All().Where(m => m is RaftMessage or NodeReply or NodeStatus or ForwardedCommand or ForwardedCommands or ForwardedAnswers or ForwardedBatchesSupported or NodeOverview))
        {
            var echoed = await _echo.Ask<object>(message, TimeSpan.FromSeconds(10));
            Assert.NotSame(message, echoed);
            SerializationSamples.AssertDeepEqual(message, echoed);
        }
    }

    [Fact]
    public async Task A_full_append_entries_batch_crosses_with_the_default_frame_size()
    {
        var entries = new LogEntry[512];
        for (var i = 0; i < entries.Length; i++)
            entries[i] = new LogEntry(1_000_000 + i, 42, EntryKind.Command,
                StackCommandCodec.Encode(new PushValue($"request-{i:D6}", "stack", new string('v', 100))));
        Assert.InRange(entries.Sum(e => e.Data.Length), 60_000, 64 * 1024);
        var message = new AppendEntries(7, 1, 2, 42, 999_999, 42, entries, 1_000_500);

        var echoed = await _echo.Ask<AppendEntries>(message, TimeSpan.FromSeconds(10));
        SerializationSamples.AssertDeepEqual(message, echoed);
    }

    private sealed class EchoActor : ReceiveActor
    {
        public EchoActor() => ReceiveAny(message => Sender.Tell(message));
    }
}
