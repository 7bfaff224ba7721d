using System.Runtime.Serialization;

namespace DistStack.Actors.Security;

/// <summary>
/// A peer's frame that DistStack refuses to decode. Akka.Remote logs it as a deserialization failure (serializer id,
/// manifest, sender's address) and drops that one frame; the association stays up, so a real peer that sent one
/// bad frame loses nothing else.
/// </summary>
public sealed class PeerFrameRefusedException(string message) : SerializationException("Refused from a peer: " + message);
