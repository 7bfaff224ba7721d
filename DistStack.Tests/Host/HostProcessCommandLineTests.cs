using System.Diagnostics;
using DistStack.Tests.Support;

namespace DistStack.Tests.Host;

/// <summary>The real executable's exit codes and messages (no cluster: these exit before starting a node).</summary>
public sealed class HostProcessCommandLineTests
{
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunHost(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(NodeProcessBuildOutput.HostDll);
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

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
    public async Task Join_exits_non_zero_saying_membership_change_is_not_implemented()
    {
        var (exitCode, _, stderr) = await RunHost("--id", "4", "--cluster", "http://127.0.0.1:12379", "--port", "42380", "--join");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("membership change", stderr);
    }

    [Fact]
    public async Task Probe_exits_1_when_nothing_answers()
    {
        var port = NodeProcess.FreePorts(1)[0];
        var (exitCode, stdout, _) = await RunHost("--probe", $"http://127.0.0.1:{port}/health/ready");

        Assert.Equal(1, exitCode);
        Assert.Contains("failed", stdout);
    }
}
