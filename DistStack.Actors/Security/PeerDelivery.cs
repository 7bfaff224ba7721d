using Akka.Actor.Internal;

namespace DistStack.Actors.Security;

/// <summary>
/// Whether the current deserialization decodes a frame that arrived from another process. Akka.Remote decodes every
/// inbound frame inside its EndpointReader actor (the frame names its own serializer id and manifest), while local
/// deserialization (journal replay, snapshots, tests) runs in other actors or none. So "the actor running now is
/// an EndpointReader" tells a peer's frame from our own data without changing how Akka.Remote dispatches.
/// </summary>
public static class PeerDelivery
{
    private const string EndpointReaderType = "Akka.Remote.EndpointReader";

    public static bool InProgress =>
        InternalCurrentActorCellKeeper.Current?.Props?.Type?.FullName == EndpointReaderType;
}
