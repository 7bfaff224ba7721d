using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;
using DistStack.Actors.Serialization;
using DistStack.Actors.Security;

namespace DistStack.Tests.Security;

/// <summary>
/// A foreign process's ActorSystem on 127.0.0.1: plain Akka.Remote (optionally over TLS with some certificate), named
/// like a node's ("diststack") so it can address any node's /user/raft-node. With <c>withDistStackSerializer</c> it
/// speaks DistStack's wire format (well-typed frames); without it, our types go out through Akka's JSON serializer.
/// </summary>
public sealed class RogueSystem : IAsyncDisposable
{
    private RogueSystem(ActorSystem system) => System = system;

    public ActorSystem System { get; }

    public static RogueSystem Start(bool withDistStackSerializer = true, PeerTlsSettings? tls = null)
    {
        var config = ConfigurationFactory.ParseString($"""
            akka.loglevel = WARNING
            akka.actor.provider = remote
            akka.remote.dot-netty.tcp.hostname = "127.0.0.1"
            akka.remote.dot-netty.tcp.port = 0
            akka.remote.dot-netty.tcp.enable-ssl = {(tls is null ? "off" : "on")}
            akka.remote.dot-netty.tcp.connection-timeout = 5s
            """);
        if (withDistStackSerializer) config = config.WithFallback(SerializationConfig.Config);
        var setup = ActorSystemSetup.Create(BootstrapSetup.Create().WithConfig(config));
        if (tls is not null) setup = setup.And(tls.CreateSetup());
        return new RogueSystem(ActorSystem.Create("diststack", setup));
    }

    /// <summary>Node's RaftNode at <paramref name="port"/>, in this system's own scheme (akka.tcp, or akka.ssl.tcp over TLS).</summary>
    public ActorSelection RaftNodeAt(int port) =>
        System.ActorSelection($"{((ExtendedActorSystem)System).Provider.DefaultAddress.Protocol}://diststack@127.0.0.1:{port}/user/raft-node");

    /// <summary>
    /// Identify through the same association as every earlier send, so once it is answered every frame sent before it
    /// has been decoded and (if accepted) is in the node's mailbox ahead of the Identify. Null: no answer in time.
    /// </summary>
    public async Task<IActorRef?> IdentifyAsync(int port, TimeSpan within)
    {
        try
        {
            var identity = await RaftNodeAt(port).Ask<ActorIdentity>(new Identify(port), within);
            return identity.Subject;
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync() => await System.Terminate().WaitAsync(TimeSpan.FromSeconds(20));
}

/// <summary>Collects a node's Warning and Error log lines (with their causes) so a test can see a refusal was logged.</summary>
public sealed class LogCollector : ReceiveActor
{
    private readonly List<string> _lines = [];

    public LogCollector()
    {
        Receive<LogEvent>(e =>
        {
            lock (_lines) _lines.Add($"{e.LogLevel()} {e} {Causes(e.Cause)}");
        });
        Receive<GetLines>(_ =>
        {
            lock (_lines) Sender.Tell(_lines.ToArray());
        });
    }

    public sealed record GetLines;

    // Akka wraps a refused payload of an actor selection in its own exception: keep every message of the chain.
    private static string Causes(Exception? cause)
    {
        var messages = new List<string>();
        for (var e = cause; e is not null; e = e.InnerException) messages.Add(e.Message);
        return string.Join(" <- ", messages);
    }

    public static IActorRef Attach(ActorSystem system)
    {
        var collector = system.ActorOf(Props.Create(() => new LogCollector()));
        system.EventStream.Subscribe(collector, typeof(Warning));
        system.EventStream.Subscribe(collector, typeof(Error));
        return collector;
    }

    public static async Task<string[]> Lines(IActorRef collector) =>
        await collector.Ask<string[]>(new GetLines(), TimeSpan.FromSeconds(5));
}
