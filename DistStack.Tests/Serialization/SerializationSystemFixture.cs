using Akka.Actor;
using DistStack.Actors.Serialization;

namespace DistStack.Tests.Serialization;

/// <summary>A real ActorSystem configured like every DistStack node's: SerializationConfig included.</summary>
public sealed class SerializationSystemFixture : IDisposable
{
    public SerializationSystemFixture() =>
        System = ActorSystem.Create("serialization-tests", SerializationConfig.Config);

    public ActorSystem System { get; }

    public Akka.Serialization.Serialization Serialization => System.Serialization;

    /// <summary>What Akka.Remote and Akka.Persistence do: find the serializer, write bytes and manifest, read back.</summary>
    public (object Result, byte[] Bytes, string Manifest) RoundTrip(object message)
    {
        var serializer = Serialization.FindSerializerFor(message);
        Assert.IsType<DistStackSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        var bytes = serializer.ToBinary(message);
        var result = Serialization.Deserialize(bytes, serializer.Identifier, manifest);
        return (result, bytes, manifest);
    }

    public void Dispose() => System.Terminate().Wait(TimeSpan.FromSeconds(10));
}
