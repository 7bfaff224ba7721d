using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Security;
using DistStack.Actors.Stacks;
using DistStack.Tests.InProcessCluster;
using DistStack.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;

namespace DistStack.Tests.Security;

/// <summary>
/// Three nodes talking Akka.Remote over mutual TLS, each with its own certificate from a CA made in the test. A foreign
/// ActorSystem without a certificate, or with one from another CA, cannot open a connection to a node, so cannot
/// vote or send it anything; one with a certificate from the cluster's CA can (the control that the refusal is TLS).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PeerTlsSpec(ITestOutputHelper output)
{
    // How long a refused process gets to prove it cannot reach a node (an absence: the TLS handshake fails at once,
    // Akka then gates the address, so any answer would come well within this).
    private static readonly TimeSpan RefusedWithin = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Peers_replicate_over_mutual_TLS_and_a_process_without_the_clusters_certificate_cannot_reach_them()
    {
        using var certificates = TestCertificates.Create();
        using var foreignCa = TestCertificates.Create("some other CA");
        await using var nodes = InProcessNodes.Start(3, output, tweak: s =>
        {
            var (certificate, key) = certificates.Issue($"node-{s.NodeId}");
            return s with { PeerTls = new PeerTlsSettings(certificate, key, null, certificates.CaPath) };
        });
        var leader = await nodes.AwaitLeader();
        Assert.Equal(StackOutcome.Created, (await nodes.Commit(new CreateStack("tls-1", "tls"), via: leader)).Outcome);
        var follower = nodes.Running.First(id => id != leader);
        Assert.Equal(StackOutcome.Ok, (await nodes.Commit(new PushValue("tls-2", "tls", "over TLS"), via: follower)).Outcome);
        var before = await nodes.AwaitConverged();
        var status = await nodes.Node(follower).Ask<NodeStatus>(GetNodeStatus.Instance, Answer);
        var settings = nodes.Settings(follower);
        var port = settings.Self.Port;

        await using var plain = RogueSystem.Start();
        var (foreignCertificate, foreignKey) = foreignCa.Issue("intruder");
        await using var foreign = RogueSystem.Start(tls: new PeerTlsSettings(foreignCertificate, foreignKey, null, foreignCa.CaPath));
        foreach (var rogue in new[] { plain, foreign })
        {
            // Taken at face value, this vote request "from the leader" moves the follower to a term 1000 ahead (a
            // transfer campaign is never ignored); elections on a loaded machine never come near that.
            rogue.RaftNodeAt(port).Tell(new TimeoutNow(settings.ClusterId, leader, follower, status.Term));
            rogue.RaftNodeAt(port).Tell(new RequestVote(settings.ClusterId, leader, follower, status.Term + 1000, false, long.MaxValue, long.MaxValue, true));
            Assert.Null(await rogue.IdentifyAsync(port, RefusedWithin));
        }

        var (memberCertificate, memberKey) = certificates.Issue("holder-of-a-cluster-certificate");
        await using var insider = RogueSystem.Start(tls: new PeerTlsSettings(memberCertificate, memberKey, null, certificates.CaPath));
        Assert.NotNull(await insider.IdentifyAsync(port, Answer));

        var after = await nodes.Node(follower).Ask<NodeStatus>(GetNodeStatus.Instance, Answer);
        Assert.True(after.Term < status.Term + 1000, $"term {status.Term} -> {after.Term}: a rogue's vote request got through");
        Assert.Equal(before.Digest, (await nodes.AwaitConverged()).Digest);
    }
}
