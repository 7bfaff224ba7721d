using DistStack.Actors.Node;
using DistStack.Actors.Hosting;
using DistStack.Actors.Persistence;
using DistStack.Actors.Stacks;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// A data directory belongs to one node of one cluster: the identity file refuses another node or member list
/// before anything starts, and the journal's NodeBootstrapped makes RaftNode refuse all work if it is bypassed.
/// </summary>
public sealed class IdentitySpec : RaftNodeSpecBase
{
    public IdentitySpec(ITestOutputHelper output) : base(NodeSpecContext.Create(members: 3), output) { }

    [Fact]
    public void A_directory_wiped_and_created_again_gets_another_storage_id_and_an_older_identity_file_gets_one()
    {
        var dir = NodeSpecContext.TempDirectory();
        try
        {
            var settings = NodeSpecContext.NewSettings(dir, members: 3, nodeId: 1);
            var first = NodeIdentityFile.Reconcile(settings).StorageId;
            Directory.Delete(dir, recursive: true);
            var second = NodeIdentityFile.Reconcile(settings).StorageId;
            Assert.NotEqual(first, second);

            // An identity file written before storage ids: one is chosen at the next start, and kept from then on.
            var path = Path.Combine(dir, NodeIdentityFile.FileName);
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            Assert.True(json.Remove("StorageId"));
            File.WriteAllText(path, json.ToJsonString());
            var chosen = NodeIdentityFile.Reconcile(settings).StorageId;
            Assert.NotEqual(0UL, chosen);
            Assert.Equal(chosen, NodeIdentityFile.Reconcile(settings).StorageId);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_identity_file_refuses_another_node_or_cluster_and_keeps_the_persisted_configuration()
    {
        var dir = NodeSpecContext.TempDirectory();
        try
        {
            var founder = NodeSpecContext.NewSettings(dir, members: 3, nodeId: 2);
            // A new directory gets a random storage id, and keeps it.
            var created = NodeIdentityFile.Reconcile(founder);
            Assert.NotEqual(0UL, created.StorageId);
            Assert.Equal(founder with { StorageId = created.StorageId }, created);
            Assert.True(File.Exists(Path.Combine(dir, NodeIdentityFile.FileName)));

            var otherNode = Assert.Throws<DataDirectoryMismatchException>(() =>
                NodeIdentityFile.Reconcile(founder with { NodeId = 3 }));
            Assert.Contains("belongs to node 2", otherNode.Message);

            var otherCluster = Assert.Throws<DataDirectoryMismatchException>(() =>
                NodeIdentityFile.Reconcile(NodeSpecContext.NewSettings(dir, members: 5, nodeId: 2)));
            Assert.Contains("persisted configuration wins", otherCluster.Message);

            // No flags on restart: the persisted identity and members are used.
            var restarted = NodeIdentityFile.Reconcile(founder with { NodeId = 0, Members = [] });
            Assert.Equal(2, restarted.NodeId);
            Assert.Equal(founder.ClusterId, restarted.ClusterId);
            Assert.Equal(founder.Members, restarted.Members);
            Assert.Equal(created.StorageId, restarted.StorageId);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_cluster_id_is_a_stable_hash_of_the_member_list()
    {
        var a = NodeSpecContext.NewSettings("/tmp/x", members: 3, ports: [7001, 7002, 7003]);
        var b = NodeSpecContext.NewSettings("/tmp/y", members: 3, nodeId: 3, ports: [7001, 7002, 7003]);
        var c = NodeSpecContext.NewSettings("/tmp/x", members: 3, ports: [7001, 7003, 7002]);
        Assert.Equal(a.ClusterId, b.ClusterId);   // every founder agrees without coordination
        Assert.NotEqual(a.ClusterId, c.ClusterId); // order matters: node i is the i-th member
        // Pinned (FNV-1a 64 of "127.0.0.1:7001\n127.0.0.1:7002\n", checked independently): it must never change,
        // every data directory records it.
        Assert.Equal("911ea70744abbb00", ClusterIdentity.Format(ClusterIdentity.FromMembers(
            [PeerEndpoint.Parse(1, "127.0.0.1:7001"), PeerEndpoint.Parse(2, "akka.tcp://diststack@127.0.0.1:7002")])));
    }

    [Fact]
    public async Task RaftNode_refuses_to_run_on_a_journal_of_another_cluster()
    {
        var node = StartNode();
        await AwaitStatus(node, s => s.LastLogIndex >= 1, "bootstrap");
        StopNode(node);

        var otherCluster = Settings with { Members = [.. Settings.Members.Select(m => m with { Port = m.Port + 100 })] };
        var impostor = StartNode(RaftNode.Props(otherCluster));
        var reply = await Execute(impostor, new CreateStack("k", "s"));

        var refused = Assert.IsType<NotStarted>(reply);
        Assert.Contains("refuses to start", refused.Reason);
        Assert.Contains("belongs to node 1 of cluster " + ClusterIdentity.Format(Settings.ClusterId), refused.Reason);
    }
}
