using System.Text.Json.Nodes;
using DistStack.Actors.Hosting;
using DistStack.Actors.Persistence;
using DistStack.Host.CommandLine;
using DistStack.Host.Hosting;
using DistStack.Tests.NodeActors;

namespace DistStack.Tests.Host;

/// <summary>
/// The cluster token (etcd's --initial-cluster-token) is mixed into the cluster id, recorded in the data directory
/// at bootstrap, and wins on restart like the member list; without one, ids and identity files are as before.
/// </summary>
public sealed class ClusterTokenTests
{
    private static readonly PeerEndpoint[] Members =
        [PeerEndpoint.Parse(1, "127.0.0.1:7001"), PeerEndpoint.Parse(2, "127.0.0.1:7002")];

    [Fact]
    public void Without_a_token_the_id_is_the_pinned_one_and_each_token_gives_another()
    {
        Assert.Equal("911ea70744abbb00", ClusterIdentity.Format(ClusterIdentity.FromMembers(Members)));
        Assert.Equal(ClusterIdentity.FromMembers(Members), ClusterIdentity.FromMembers(Members, ""));
        var restored = ClusterIdentity.FromMembers(Members, "restored-2026");
        Assert.NotEqual(ClusterIdentity.FromMembers(Members), restored);
        Assert.NotEqual(ClusterIdentity.FromMembers(Members, "other"), restored);
        Assert.Equal(restored, ClusterIdentity.FromMembers(Members, "restored-2026"));
    }

    [Fact]
    public void The_token_is_recorded_at_bootstrap_kept_on_restart_and_a_different_one_is_refused()
    {
        var dir = NodeSpecContext.TempDirectory();
        try
        {
            var founder = NodeSpecContext.NewSettings(dir, members: 3) with { ClusterToken = "blue" };
            var plain = NodeSpecContext.NewSettings(dir, members: 3);
            Assert.NotEqual(plain.ClusterId, founder.ClusterId);
            var created = NodeIdentityFile.Reconcile(founder);
            Assert.Equal(founder with { StorageId = created.StorageId }, created);

            // No token (and no members) on restart: the persisted ones are used, so the id is unchanged.
            var restarted = NodeIdentityFile.Reconcile(plain with { NodeId = 0, Members = [] });
            Assert.Equal("blue", restarted.ClusterToken);
            Assert.Equal(founder.ClusterId, restarted.ClusterId);

            var other = Assert.Throws<DataDirectoryMismatchException>(() => NodeIdentityFile.Reconcile(founder with { ClusterToken = "green" }));
            Assert.Contains("cluster token 'blue'", other.Message);
            Assert.Contains("'green'", other.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void An_identity_file_written_before_tokens_existed_loads_with_no_token_and_its_id()
    {
        var dir = NodeSpecContext.TempDirectory();
        try
        {
            var settings = NodeSpecContext.NewSettings(dir, members: 3);
            NodeIdentityFile.Reconcile(settings);
            var path = Path.Combine(dir, NodeIdentityFile.FileName);
            var document = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            Assert.True(document.Remove("ClusterToken")); // as earlier versions wrote it
            File.WriteAllText(path, document.ToJsonString());

            var restarted = NodeIdentityFile.Reconcile(settings);
            Assert.Equal("", restarted.ClusterToken);
            Assert.Equal(settings.ClusterId, restarted.ClusterId);
            Assert.Throws<DataDirectoryMismatchException>(() => NodeIdentityFile.Reconcile(settings with { ClusterToken = "late" }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static CommandLineResult Parse(string commandLine, Dictionary<string, string>? environment = null) =>
        NodeCommandLine.Parse(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            name => environment is not null && environment.TryGetValue(name, out var value) ? value : null);

    [Fact]
    public void The_command_line_takes_a_token_from_the_flag_or_the_environment_and_refuses_a_bad_one()
    {
        const string node = "--id 1 --cluster http://127.0.0.1:12379 --port 12380";
        Assert.Null(Assert.IsType<CommandLineResult.RunNode>(Parse(node)).Options.ClusterToken);
        Assert.Equal("blue", Assert.IsType<CommandLineResult.RunNode>(Parse(node + " --cluster-token blue")).Options.ClusterToken);
        Assert.Equal("env.1", Assert.IsType<CommandLineResult.RunNode>(
            Parse(node, new() { ["DISTSTACK_CLUSTER_TOKEN"] = "env.1" })).Options.ClusterToken);

        var refused = Assert.IsType<CommandLineResult.Refuse>(Parse(node + " --cluster-token a/b"));
        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        Assert.Contains("--cluster-token", refused.Message);
        Assert.Contains("--cluster-token", NodeCommandLine.HelpText);
    }

    [Fact]
    public void The_token_given_on_the_command_line_reaches_the_node_settings()
    {
        var dir = NodeSpecContext.TempDirectory();
        try
        {
            var options = Assert.IsType<CommandLineResult.RunNode>(
                Parse($"--id 1 --cluster http://127.0.0.1:12379 --port 12380 --data-dir {dir} --cluster-token blue")).Options;
            var settings = RaftNodeHosting.LoadSettings(options);
            Assert.Equal("blue", settings.ClusterToken);
            Assert.Equal(ClusterIdentity.FromMembers(settings.Members, "blue"), settings.ClusterId);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_joiner_records_the_cluster_id_it_learned_and_restarts_as_that_member_whatever_join_says()
    {
        var dir = NodeSpecContext.TempDirectory();
        try
        {
            var joiner = NodeSpecContext.NewSettings(dir, members: 3) with { NodeId = 3, Join = true };
            var first = NodeIdentityFile.Reconcile(joiner);
            Assert.True(first.Join);
            Assert.Null(first.JoinedClusterId);

            // Restarted before it was added: it still waits.
            Assert.True(NodeIdentityFile.Reconcile(joiner with { Join = false }).Join);

            const ulong learned = 0x1234_5678_9abc_def0UL;
            NodeIdentityFile.MarkJoined(dir, learned);
            Assert.True(NodeIdentityFile.ReadBootstrapped(dir));
            var restarted = NodeIdentityFile.Reconcile(joiner);
            Assert.False(restarted.Join);
            Assert.Equal(learned, restarted.JoinedClusterId);
            Assert.Equal(learned, restarted.ClusterId); // not the hash of its own --cluster list
            Assert.NotEqual(ClusterIdentity.FromMembers(joiner.Members), restarted.ClusterId);
            Assert.Empty(restarted.ToRaftOptions().MemberAddresses); // a joiner never records addresses from its list
            Assert.Equal(3, NodeSpecContext.NewSettings(dir, members: 3).ToRaftOptions().MemberAddresses.Count);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
