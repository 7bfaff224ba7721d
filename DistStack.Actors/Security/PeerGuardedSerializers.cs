using Akka.Actor;
using Akka.Configuration;
using Akka.Remote.Serialization;
using Akka.Serialization;

namespace DistStack.Actors.Security;

/// <summary>
/// Akka's own serializers, each behind the same identifier, with <see cref="PeerFrameRules"/> applied to what a
/// peer's frame decodes to. Registered in place of Akka's by <see cref="PeerGuardConfig"/>; local behaviour is
/// unchanged (the rules only act while a peer's frame is decoded).
/// </summary>
public abstract class PeerGuardedSerializer(ExtendedActorSystem system, Serializer inner, int identifier) : Serializer(system)
{
    protected Serializer Inner { get; } = inner;

    // Akka's identifiers are part of its wire format, fixed forever. Not read from the inner serializer: it looks its
    // identifier up in Akka.Remote's config, which a node started with the local provider (tests) does not load.
    public override int Identifier => identifier;
    public override bool IncludeManifest => Inner.IncludeManifest;
    public override byte[] ToBinary(object obj) => Inner.ToBinary(obj);

    public override object FromBinary(byte[] bytes, Type type)
    {
        BeforeDecoding(type);
        var message = Inner.FromBinary(bytes, type);
        AfterDecoding(message);
        return message;
    }

    protected virtual void BeforeDecoding(Type type) { }
    protected virtual void AfterDecoding(object message) { }
}

/// <summary>JSON can build any loadable type: nothing a peer sends may be decoded by it.</summary>
public sealed class PeerGuardedJsonSerializer : PeerGuardedSerializer
{
    public PeerGuardedJsonSerializer(ExtendedActorSystem system) : base(system, new NewtonSoftJsonSerializer(system), AkkaSerializerIds.Json) { }

    // Akka passes akka.actor.serialization-settings.json when it exists (it does): the inner serializer keeps its settings.
    public PeerGuardedJsonSerializer(ExtendedActorSystem system, Config config) : base(system, new NewtonSoftJsonSerializer(system, config), AkkaSerializerIds.Json) { }

    protected override void BeforeDecoding(Type type) =>
        PeerFrameRules.RefuseFromPeer($"a JSON-serialized {type?.FullName ?? "message"} (DistStack peers never send JSON)");
}

/// <summary>Remote deployment: DistStack never deploys actors on another node.</summary>
public sealed class PeerGuardedDaemonCreateSerializer(ExtendedActorSystem system)
    : PeerGuardedSerializer(system, new DaemonMsgCreateSerializer(system), AkkaSerializerIds.DaemonCreate)
{
    protected override void BeforeDecoding(Type type) => PeerFrameRules.RefuseFromPeer("remote deployment of an actor");
}

public sealed class PeerGuardedSystemMessageSerializer(ExtendedActorSystem system)
    : PeerGuardedSerializer(system, new SystemMessageSerializer(system), AkkaSerializerIds.SystemMessage)
{
    protected override void AfterDecoding(object message) => PeerFrameRules.CheckSystemMessage(message);
}

/// <summary>Identify, status replies, remote-watch heartbeats pass; PoisonPill and Kill from a peer do not.</summary>
public sealed class PeerGuardedMiscSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    private readonly MiscMessageSerializer _inner = new(system);

    public override int Identifier => AkkaSerializerIds.Misc;
    public override string Manifest(object o) => _inner.Manifest(o);
    public override byte[] ToBinary(object obj) => _inner.ToBinary(obj);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        var message = _inner.FromBinary(bytes, manifest);
        PeerFrameRules.CheckMisc(message);
        return message;
    }
}

/// <summary>The identifiers Akka gives the serializers guarded here (Akka's reference.conf files).</summary>
public static class AkkaSerializerIds
{
    public const int Json = 1;
    public const int DaemonCreate = 3;
    public const int Misc = 16;
    public const int SystemMessage = 22;
}
