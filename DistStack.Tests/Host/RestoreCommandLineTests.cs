using DistStack.Host.CommandLine;

namespace DistStack.Tests.Host;

/// <summary><c>DistStack.Host restore</c>'s flags: every member or one, a new token required, no shared directory.</summary>
public sealed class RestoreCommandLineTests
{
    private const string Cluster = "http://127.0.0.1:12379,http://127.0.0.1:22379,http://127.0.0.1:32379";

    private static (CommandLineResult? Result, RestoreOptions? Options) Parse(params string[] args) =>
        (RestoreCommandLine.Parse(args, out var options), options);

    [Fact]
    public void Without_an_id_every_member_gets_a_directory_from_the_template()
    {
        var (result, options) = Parse("--snapshot", "b.backup", "--cluster", Cluster, "--cluster-token", "restored-1",
            "--data-dir-template", "restored/node-{id}");

        Assert.Null(result);
        Assert.Equal("b.backup", options!.SnapshotFile);
        Assert.Equal("restored-1", options.ClusterToken);
        Assert.Equal(3, options.Cluster.Count);
        Assert.Equal(new Dictionary<int, string> { [1] = "restored/node-1", [2] = "restored/node-2", [3] = "restored/node-3" },
            options.DataDirectories);
    }

    [Fact]
    public void The_default_directories_are_the_nodes_own_defaults()
    {
        var (_, all) = Parse("--snapshot=b", "--cluster", Cluster, "--cluster-token=t");
        Assert.Equal(Path.Combine(".", "data", "node-2"), all!.DataDirectories[2]);

        var (_, one) = Parse("--snapshot", "b", "--cluster", Cluster, "--cluster-token", "t", "--id", "3");
        Assert.Equal(new Dictionary<int, string> { [3] = Path.Combine(".", "data", "node-3") }, one!.DataDirectories);
    }

    [Fact]
    public void One_member_with_its_own_directory()
    {
        var (result, options) = Parse("--snapshot", "b", "--cluster", Cluster, "--cluster-token", "t", "--id", "2", "--data-dir", "/srv/node2");
        Assert.Null(result);
        Assert.Equal(new Dictionary<int, string> { [2] = "/srv/node2" }, options!.DataDirectories);
    }

    [Theory]
    [InlineData("--cluster-token is required", "--snapshot", "b", "--cluster", Cluster)]
    [InlineData("--snapshot FILE is required", "--cluster", Cluster, "--cluster-token", "t")]
    [InlineData("--cluster is required", "--snapshot", "b", "--cluster-token", "t")]
    [InlineData("must be 1-64 letters", "--snapshot", "b", "--cluster", Cluster, "--cluster-token", "a b")]
    [InlineData("has no {id}", "--snapshot", "b", "--cluster", Cluster, "--cluster-token", "t", "--data-dir-template", "same")]
    [InlineData("--data-dir needs --id", "--snapshot", "b", "--cluster", Cluster, "--cluster-token", "t", "--data-dir", "d")]
    [InlineData("with --id use --data-dir", "--snapshot", "b", "--cluster", Cluster, "--cluster-token", "t", "--id", "1", "--data-dir-template", "d-{id}")]
    [InlineData("the cluster has only 3 node(s)", "--snapshot", "b", "--cluster", Cluster, "--cluster-token", "t", "--id", "4")]
    [InlineData("is not a URL like http://host:port", "--snapshot", "b", "--cluster", "nope", "--cluster-token", "t")]
    [InlineData("unknown flag '--port'", "--snapshot", "b", "--port", "1")]
    [InlineData("--snapshot is given twice", "--snapshot", "b", "--snapshot", "c")]
    [InlineData("--snapshot needs a value", "--snapshot")]
    public void Bad_flags_are_a_usage_error_that_says_what_is_wrong(string expected, params string[] args)
    {
        var (result, options) = Parse(args);

        var refuse = Assert.IsType<CommandLineResult.Refuse>(result);
        Assert.Equal(ExitCodes.Usage, refuse.ExitCode);
        Assert.Contains(expected, refuse.Message);
        Assert.Null(options);
    }

    [Fact]
    public void Help_describes_the_command()
    {
        var help = Assert.IsType<CommandLineResult.ShowHelp>(Parse("--help").Result);
        Assert.Contains("--cluster-token NEW", help.Text);
        Assert.Contains("--data-dir-template", help.Text);
    }
}
