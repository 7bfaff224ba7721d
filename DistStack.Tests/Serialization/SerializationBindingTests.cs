using System.Reflection;
using System.Text.RegularExpressions;
using DistStack.Actors.Node;
using DistStack.Actors.Persistence;
using DistStack.Actors.Raft;
using DistStack.Actors.Serialization;
using DistStack.Actors.Stacks;
using DistStack.Tests.Support;

namespace DistStack.Tests.Serialization;

/// <summary>
/// Guards the rule "wire messages and persisted events use our serializer, never Akka's default JSON one":
/// every type that crosses the wire or is persisted, including ones added later, must be bound to
/// DistStackSerializer and have a sample in <see cref="SerializationSamples"/> (so its round trip is tested).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SerializationBindingTests(SerializationSystemFixture fixture) : IClassFixture<SerializationSystemFixture>
{
    private static readonly Assembly Core = typeof(RaftMessage).Assembly;

    /// <summary>Everything that must go through our serializer, found by reflection (and the protocol source).</summary>
    internal static IReadOnlyList<Type> TypesThatMustUseOurSerializer()
    {
        var concrete = Core.GetTypes().Where(t => t is { IsClass: true, IsAbstract: false } && !IsCompilerGenerated(t)).ToList();
        var types = new HashSet<Type>();

        // Every Raft peer message, and the Raft data types that are sent or persisted.
        types.UnionWith(concrete.Where(t => t.IsSubclassOf(typeof(RaftMessage))));
        types.UnionWith([typeof(LogEntry), typeof(ClusterConfiguration), typeof(HardState), typeof(SnapshotMetadata), typeof(SnapshotData)]);

        // Every journal and snapshot-store record: the public records declared in RaftJournalEvents.cs (other
        // records of that namespace, such as plugin setup, are local and never persisted).
        var journal = DeclaredRecordNames("Persistence", "RaftJournalEvents.cs");
        types.UnionWith(concrete.Where(t => t.Namespace == "DistStack.Actors.Persistence" && t.IsPublic && IsRecord(t) && journal.Contains(t.Name)));

        // The node protocol: every public record declared in NodeProtocol.cs, and every NodeReply. (Local-only
        // protocols of the same namespace, in their own files, stay in-process and need no binding.)
        var protocol = DeclaredRecordNames("Node", "NodeProtocol.cs");
        types.UnionWith(concrete.Where(t => t.Namespace == "DistStack.Actors.Node" && t.IsPublic && IsRecord(t) && protocol.Contains(t.Name)));
        types.UnionWith(concrete.Where(t => t.IsSubclassOf(typeof(NodeReply))));

        // The stack types carried inside node protocol messages.
        types.UnionWith(concrete.Where(t => t.IsSubclassOf(typeof(StackCommand)) || t.IsSubclassOf(typeof(StackQuery))));
        types.Add(typeof(StackResult));
        return types.OrderBy(t => t.FullName).ToList();
    }

    [Fact]
    public void The_type_enumeration_finds_the_known_families()
    {
        var types = TypesThatMustUseOurSerializer();
        Assert.Contains(typeof(AppendEntries), types);
        Assert.Contains(typeof(ReadIndexResponse), types);
        Assert.Contains(typeof(ExecuteCommand), types);
        Assert.Contains(typeof(NodeStatus), types);
        Assert.Contains(typeof(MemberStatus), types);
        Assert.Contains(typeof(GetNodeStatus), types);
        Assert.Contains(typeof(Completed), types);
        Assert.Contains(typeof(EntryAppended), types);
        Assert.Contains(typeof(DurableSnapshot), types);
        Assert.Contains(typeof(HardStateRecorded), types);
        Assert.Contains(typeof(NodeBootstrapped), types);
        Assert.Contains(typeof(LogTruncated), types);
        Assert.Contains(typeof(PushValue), types);
        Assert.True(types.Count >= 40, $"only {types.Count} types found");
    }

    [Fact]
    public void Every_wire_and_journal_type_is_bound_to_DistStackSerializer()
    {
        var wrong = new List<string>();
        foreach (var type in TypesThatMustUseOurSerializer())
        {
            var serializer = fixture.Serialization.FindSerializerForType(type);
            if (serializer is not DistStackSerializer)
                wrong.Add($"{type.FullName} -> {serializer.GetType().Name}");
        }
        Assert.True(wrong.Count == 0,
            "Bound to a serializer other than DistStackSerializer (add a binding in SerializationConfig and a " +
            "writer in DistStackSerializer):\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void Every_wire_and_journal_type_has_a_round_trip_sample()
    {
        var sampled = SerializationSamples.SampledTypes();
        var missing = TypesThatMustUseOurSerializer().Where(t => !sampled.Contains(t)).Select(t => t.FullName).ToList();
        Assert.True(missing.Count == 0,
            "No sample in SerializationSamples (so no round-trip test) for:\n" + string.Join("\n", missing));
    }

    [Fact]
    public async Task Without_our_config_the_default_serializer_would_be_used()
    {
        // Shows the binding test can fail: a plain system would hand these types to Akka's JSON serializer.
        using var plain = Akka.Actor.ActorSystem.Create("plain-serialization");
        try
        {
            Assert.IsNotType<DistStackSerializer>(plain.Serialization.FindSerializerForType(typeof(AppendEntries)));
        }
        finally
        {
            await plain.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void The_config_binds_with_assembly_qualified_names()
    {
        Assert.Contains("\"DistStack.Actors.Raft.RaftMessage, DistStack.Actors\" = diststack", SerializationConfig.Hocon);
        Assert.Contains("DistStack.Actors.Serialization.DistStackSerializer, DistStack.Actors", SerializationConfig.Hocon);
        var config = SerializationConfig.Config;
        Assert.Equal("DistStack.Actors.Serialization.DistStackSerializer, DistStack.Actors",
            config.GetString("akka.actor.serializers.diststack"));
        foreach (var type in SerializationConfig.BoundTypes)
            Assert.NotNull(Type.GetType($"{type.FullName}, DistStack.Actors", throwOnError: true));
    }

    private static bool IsRecord(Type type) =>
        type.GetMethod("<Clone>$", BindingFlags.Public | BindingFlags.Instance) is not null;

    private static bool IsCompilerGenerated(Type type) =>
        type.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute)) || type.Name.Contains('<');

    private static HashSet<string> DeclaredRecordNames(string folder, string fileName)
    {
        var file = Path.Combine(DistStack.Tests.Stacks.StackPurityTests.RepositoryRoot(), "DistStack.Actors", folder, fileName);
        var names = Regex.Matches(File.ReadAllText(file), @"public\s+sealed\s+record\s+(\w+)")
            .Select(m => m.Groups[1].Value)
            .ToHashSet();
        Assert.NotEmpty(names);
        return names;
    }
}
