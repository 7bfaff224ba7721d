using System.Diagnostics;
using DistStack.Tests.Support;

namespace DistStack.Tests.Host;

/// <summary>The real executable's exit codes and messages (no cluster: these exit before starting a node).</summary>
public sealed class HostProcessCommandLineTests
{
    private static Task<(int ExitCode, string Stdout, string Stderr)> RunHost(params string[] arguments) =>
        HostCommand.RunAsync(TimeSpan.FromSeconds(30), arguments);

    [Fact]
    public async Task Help_exits_0_and_lists_the_flags()
    {
        var (exitCode, stdout, _) = await RunHost("--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("--cluster", stdout);
        Assert.Contains("--join", stdout);
    }

    [Fact]
    public async Task A_bad_flag_exits_2_with_a_message_on_stderr()
    {
        var (exitCode, _, stderr) = await RunHost("--id", "1", "--cluster", "http://127.0.0.1:12379", "--port", "12380", "--nope");

        Assert.Equal(2, exitCode);
        Assert.Contains("unknown flag '--nope'", stderr);
    }

    [Fact]
    public async Task Join_without_this_nodes_own_url_in_the_cluster_list_exits_2_saying_where_it_goes()
    {
        var (exitCode, _, stderr) = await RunHost("--id", "4", "--cluster", "http://127.0.0.1:12379", "--port", "42380", "--join");

        Assert.Equal(2, exitCode);
        Assert.Contains("this node's own at position --id", stderr);
    }

    [Fact]
    public async Task A_node_whose_HTTP_port_is_taken_exits_1_with_one_clear_line()
    {
        var ports = TestPorts.Take(2);
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, ports[1]);
        squatter.Start();
        var dataDir = Path.Combine(Path.GetTempPath(), "diststack-tests", "port-taken-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (exitCode, _, stderr) = await RunHost("--id", "1", "--cluster", $"http://127.0.0.1:{ports[0]}",
                "--port", ports[1].ToString(), "--data-dir", dataDir);

            Assert.Equal(1, exitCode);
            Assert.Contains($"node 1 failed: ", stderr);
            Assert.Contains("address already in use", stderr, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("   at ", stderr); // no stack trace
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task A_data_dir_of_another_cluster_is_refused_with_exit_code_2()
    {
        var ports = TestPorts.Take(3);
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, ports[2]);
        squatter.Start(); // the first run only has to create the data dir's identity, then it stops on the taken port
        var dataDir = Path.Combine(Path.GetTempPath(), "diststack-tests", "other-cluster-" + Guid.NewGuid().ToString("N"));
        try
        {
            var first = await RunHost("--id", "1", "--cluster", $"http://127.0.0.1:{ports[0]}", "--port", ports[2].ToString(), "--data-dir", dataDir);
            Assert.Equal(1, first.ExitCode);

            var (exitCode, _, stderr) = await RunHost("--id", "1", "--cluster", $"http://127.0.0.1:{ports[1]}",
                "--port", ports[2].ToString(), "--data-dir", dataDir);

            Assert.Equal(2, exitCode);
            Assert.Contains("cannot start node 1: the data directory", stderr);
            Assert.Contains("belongs to another node or cluster", stderr);
        }
        finally
        {
            if (Directory.Exists(dataDir)) Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Probe_exits_1_when_nothing_answers()
    {
        var port = TestPorts.Take(1)[0];
        var (exitCode, stdout, _) = await RunHost("--probe", $"http://127.0.0.1:{port}/health/ready");

        Assert.Equal(1, exitCode);
        Assert.Contains("failed", stdout);
    }
}
