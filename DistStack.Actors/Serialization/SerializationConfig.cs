using Akka.Configuration;
using DistStack.Actors.Node;
using DistStack.Actors.Observability;
using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Serialization;

/// <summary>
/// Registers <see cref="DistStackSerializer"/> and binds every DistStack type that crosses the wire or is
/// persisted to it. Include it in every ActorSystem (Akka.Hosting: <c>AddHocon(SerializationConfig.Hocon, ...)</c>
/// or fall back to <see cref="Config"/>). Bindings on a base type cover its subclasses (Akka picks the most
/// specific binding), so new Raft messages are covered; a new node-protocol or journal type needs a line here
/// and a writer in the serializer (DistStack.Tests/Serialization fails until it has both).
/// </summary>
public static class SerializationConfig
{
    public const string SerializerName = "diststack";

    private const string Assembly = "DistStack.Actors";

    /// <summary>Every type bound to the serializer, by assembly-qualified name.</summary>
    public static readonly IReadOnlyList<Type> BoundTypes =
    [
        // Raft peer messages and the data they carry.
        typeof(RaftMessage),
        typeof(LogEntry),
        typeof(ClusterConfiguration),
        typeof(HardState),
        typeof(SnapshotMetadata),
        typeof(SnapshotData),
        // Node protocol.
        typeof(ExecuteCommand),
        typeof(ExecuteQuery),
        typeof(ForwardedCommand),
        typeof(ForwardedCommands),
        typeof(ForwardedAnswers),
        typeof(ForwardedBatchesSupported),
        typeof(GetNodeStatus),
        typeof(HandOverLeadership),
        typeof(LeadershipHandedOver),
        typeof(PeerSilenceNotice),
        typeof(CommandFormatsSupported),
        typeof(ForwardedMembershipChange),
        typeof(MembershipReply),
        typeof(NodeReply),
        typeof(NodeStatus),
        typeof(MemberStatus),
        typeof(StackCommand),
        typeof(StackQuery),
        typeof(StackResult),
        // Overview protocol (GET /cluster/overview).
        typeof(GetNodeOverview),
        typeof(NodeOverview),
        typeof(NodeEvent),
        // Journal events and the snapshot-store record.
        typeof(HardStateRecorded),
        typeof(EntryAppended),
        typeof(EntriesAppended),
        typeof(LogTruncated),
        typeof(NodeBootstrapped),
        typeof(DurableSnapshot),
    ];

    /// <summary>The HOCON fragment: <c>akka.actor.serializers</c> and <c>akka.actor.serialization-bindings</c>.</summary>
    public static readonly string Hocon = BuildHocon();

    public static Config Config => ConfigurationFactory.ParseString(Hocon);

    private static string BuildHocon()
    {
        var serializerType = $"{typeof(DistStackSerializer).FullName}, {Assembly}";
        var bindings = new System.Text.StringBuilder();
        foreach (var type in BoundTypes)
            bindings.Append("      \"").Append(type.FullName).Append(", ").Append(Assembly).Append("\" = ")
                .Append(SerializerName).Append('\n');
        return $$"""
            akka.actor {
              serializers {
                {{SerializerName}} = "{{serializerType}}"
              }
              serialization-bindings {
            {{bindings}}  }
              serialization-identifiers {
                "{{serializerType}}" = {{DistStackSerializer.SerializerIdentifier}}
              }
            }
            """;
    }
}
