using DistStack.Host.CommandLine;

namespace DistStack.Tests.Host;

public sealed class NodeCommandLineTests
{
    private const string OneNode = "http://127.0.0.1:12379";
    private const string ThreeNodes = "http://127.0.0.1:12379,http://127.0.0.1:22379,http://127.0.0.1:32379";

    private static CommandLineResult Parse(string commandLine, Dictionary<string, string>? environment = null) =>
        NodeCommandLine.Parse(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            name => environment is not null && environment.TryGetValue(name, out var value) ? value : null);

    private static NodeOptions Options(string commandLine, Dictionary<string, string>? environment = null)
    {
        var result = Parse(commandLine, environment);
        return Assert.IsType<CommandLineResult.RunNode>(result).Options;
    }

    private static CommandLineResult.Refuse Refused(string commandLine, Dictionary<string, string>? environment = null) =>
        Assert.IsType<CommandLineResult.Refuse>(Parse(commandLine, environment));

    [Fact]
    public void The_seed_single_node_command_line_runs_node_1_with_default_data_dir_and_timeouts()
    {
        var options = Options($"--id 1 --cluster {OneNode} --port 12380");

        Assert.Equal(1, options.NodeId);
        Assert.Equal(12380, options.HttpPort);
        Assert.Equal(new Uri(OneNode), options.RaftUrl);
        Assert.Equal(Path.Combine(".", "data", "node-1"), options.DataDir);
        // No flag: the node's configuration decides (diststack.clients.*, defaults 5 s and 3 s).
        Assert.Null(options.RequestTimeout);
        Assert.Null(options.HandOverTimeout);
        var settings = NodeSettingsOf(options);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.HandOverTimeout);
    }

    /// <summary>The settings a node would run with, in a throwaway data directory.</summary>
    private static DistStack.Actors.Hosting.RaftNodeSettings NodeSettingsOf(NodeOptions options)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "diststack-cli-" + Guid.NewGuid().ToString("N"));
        try
        {
            return DistStack.Host.Hosting.RaftNodeHosting.LoadSettings(options with { DataDir = dataDir });
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public void Node_i_is_the_ith_url_of_the_cluster()
    {
        var options = Options($"--id 2 --cluster {ThreeNodes} --port 22380");

        Assert.Equal(3, options.Cluster.Count);
        Assert.Equal(22379, options.RaftUrl.Port);
        Assert.Equal([1, 2, 3], options.Members.Keys.Order());
        Assert.Equal(Path.Combine(".", "data", "node-2"), options.DataDir);
    }

    [Fact]
    public void Equals_form_single_dash_form_and_explicit_values_are_accepted()
    {
        var options = Options($"-id=1 --cluster={OneNode} -port 9000 --data-dir /tmp/x --request-timeout 500ms --hand-over-timeout=2s");

        Assert.Equal(9000, options.HttpPort);
        Assert.Equal("/tmp/x", options.DataDir);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), options.HandOverTimeout);
    }

    [Fact]
    public void Help_wins_over_everything_and_lists_every_flag()
    {
        var help = Assert.IsType<CommandLineResult.ShowHelp>(Parse("--id nonsense --help"));

        foreach (var flag in new[] { "--id", "--cluster", "--port", "--data-dir", "--join", "--help", "--probe", "--config",
                     "--request-timeout", "--hand-over-timeout", "DISTSTACK_ID", "DISTSTACK_CLUSTER", "DISTSTACK_PORT", "DISTSTACK_DATA_DIR" })
            Assert.Contains(flag, help.Text);
    }

    [Fact]
    public void Missing_required_flags_are_named_and_exit_with_usage_code()
    {
        var refused = Refused("");

        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        Assert.Contains("--id is required", refused.Message);
        Assert.Contains("--cluster is required", refused.Message);
        Assert.Contains("--port is required", refused.Message);
    }

    [Theory]
    [InlineData("--id 1 --cluster http://127.0.0.1:12379 --port 12380 --bogus 1", "unknown flag '--bogus'")]
    [InlineData("--id 1 --cluster http://127.0.0.1:12379 --port", "--port needs a value")]
    [InlineData("--id x --cluster http://127.0.0.1:12379 --port 12380", "--id: 'x' is not a number")]
    [InlineData("--id 0 --cluster http://127.0.0.1:12379 --port 12380", "--id: '0' is not a number")]
    [InlineData("--id 2 --cluster http://127.0.0.1:12379 --port 12380", "--id must be 1..1")]
    [InlineData("--id 1 --cluster http://127.0.0.1:12379 --port 70000", "--port: '70000'")]
    [InlineData("--id 1 --cluster 127.0.0.1:12379 --port 12380", "is not a URL like http://host:port")]
    [InlineData("--id 1 --cluster http://127.0.0.1 --port 12380", "is not a URL like http://host:port")]
    [InlineData("--id 1 --cluster http://127.0.0.1:1,http://127.0.0.1:1 --port 12380", "listed twice")]
    [InlineData("--id 1 --cluster http://127.0.0.1:12379 --port 12379", "also this node's Raft port")]
    [InlineData("--id 1 --cluster http://127.0.0.1:12379 --port 12380 --request-timeout soon", "not a positive duration")]
    [InlineData("--id 1 --cluster http://127.0.0.1:12379 --port 12380 stray", "unexpected argument 'stray'")]
    public void Bad_flags_get_a_clear_message_and_exit_code_2(string commandLine, string expected)
    {
        var refused = Refused(commandLine);

        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        Assert.Contains(expected, refused.Message);
    }

    [Fact]
    public void Join_starts_a_node_that_waits_to_be_added()
    {
        var run = Assert.IsType<CommandLineResult.RunNode>(
            NodeCommandLine.Parse($"--id 4 --cluster {ThreeNodes},http://127.0.0.1:42379 --port 42380 --join".Split(' '), _ => null));

        Assert.True(run.Options.Join);
        Assert.Equal(4, run.Options.NodeId);
        Assert.False(Assert.IsType<CommandLineResult.RunNode>(
            NodeCommandLine.Parse($"--id 1 --cluster {ThreeNodes} --port 12380".Split(' '), _ => null)).Options.Join);
    }

    [Fact]
    public void Environment_variables_supply_settings_and_flags_override_them()
    {
        var environment = new Dictionary<string, string>
        {
            ["DISTSTACK_ID"] = "3",
            ["DISTSTACK_CLUSTER"] = ThreeNodes,
            ["DISTSTACK_PORT"] = "32380",
            ["DISTSTACK_DATA_DIR"] = "/env/data",
            ["DISTSTACK_REQUEST_TIMEOUT"] = "7s",
        };

        var fromEnvironment = Options("", environment);
        Assert.Equal((3, 32380, "/env/data", 7.0), (fromEnvironment.NodeId, fromEnvironment.HttpPort, fromEnvironment.DataDir,
            fromEnvironment.RequestTimeout?.TotalSeconds));

        var flagsWin = Options("--id 2 --port 22380 --data-dir /flag/data --request-timeout 1s", environment);
        Assert.Equal((2, 22380, "/flag/data", 1.0), (flagsWin.NodeId, flagsWin.HttpPort, flagsWin.DataDir, flagsWin.RequestTimeout?.TotalSeconds));
        Assert.Equal(3, flagsWin.Cluster.Count);
    }

    [Fact]
    public void A_hocon_config_file_overrides_defaults_and_is_overridden_by_environment_and_flags()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, $$"""
                diststack.host {
                  id = 1
                  cluster = "{{ThreeNodes}}"
                  port = 12380
                }
                diststack.clients {
                  request-timeout = 9s
                  hand-over-timeout = 1s
                }
                """);

            var fromFile = Options($"--config {file}");
            Assert.Equal((1, 12380), (fromFile.NodeId, fromFile.HttpPort));
            Assert.Equal(file, fromFile.ConfigFile);
            // The file's timeouts are what the node runs with (a flag used to override them silently).
            var settings = NodeSettingsOf(fromFile);
            Assert.Equal((9.0, 1.0), (settings.RequestTimeout.TotalSeconds, settings.HandOverTimeout.TotalSeconds));

            var environment = new Dictionary<string, string> { ["DISTSTACK_CONFIG"] = file, ["DISTSTACK_PORT"] = "5000", ["DISTSTACK_ID"] = "2" };
            var layered = Options("--id 3 --request-timeout 2s", environment);
            Assert.Equal((3, 5000), (layered.NodeId, layered.HttpPort));
            Assert.Equal(2.0, NodeSettingsOf(layered).RequestTimeout.TotalSeconds);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_config_file_with_the_old_host_timeouts_is_told_where_they_moved()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "diststack.host.request-timeout = 9s\ndiststack.host.hand-over-timeout = 1s\n");
            var refused = Refused($"--id 1 --cluster {OneNode} --port 12380 --config {file}");
            Assert.Equal(ExitCodes.Usage, refused.ExitCode);
            Assert.Contains("diststack.host.request-timeout is now diststack.clients.request-timeout", refused.Message);
            Assert.Contains("diststack.host.hand-over-timeout is now diststack.clients.hand-over-timeout", refused.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_config_file_setting_the_removed_journal_parallelism_is_told_why()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "diststack.persistence.parallelism = 4\n");
            var refused = Refused($"--id 1 --cluster {OneNode} --port 12380 --config {file}");
            Assert.Equal(ExitCodes.Usage, refused.ExitCode);
            Assert.Contains("diststack.persistence.parallelism was removed", refused.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_config_file_that_does_not_parse_is_a_usage_error_not_a_crash()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "diststack.persistence.journal-connection-string = ${DISTSTACK_NO_SUCH_SETTING}\n");
            var refused = Refused($"--id 1 --cluster {OneNode} --port 12380 --config {file}");
            Assert.Equal(ExitCodes.Usage, refused.ExitCode);
            Assert.Contains($"cannot read '{file}'", refused.Message);
            Assert.Contains("DISTSTACK_NO_SUCH_SETTING", refused.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_missing_config_file_is_a_usage_error()
    {
        var refused = Refused("--config /nonexistent/diststack.conf");

        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        Assert.Contains("cannot read '/nonexistent/diststack.conf'", refused.Message);
    }

    [Fact]
    public void Probe_takes_a_url_and_needs_nothing_else()
    {
        var probe = Assert.IsType<CommandLineResult.Probe>(Parse("--probe http://127.0.0.1:12380/health/ready"));
        Assert.Equal(new Uri("http://127.0.0.1:12380/health/ready"), probe.Url);

        Assert.Equal(ExitCodes.Usage, Refused("--probe not-a-url").ExitCode);
    }
}
