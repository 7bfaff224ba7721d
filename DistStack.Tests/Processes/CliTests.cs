using System.Diagnostics;
using System.Text;
using DistStack.Cli;
using DistStack.Client;
using DistStack.Tests.Support;
using Xunit.Abstractions;

namespace DistStack.Tests.Processes;

/// <summary>
/// The `diststack` CLI as a real process against three real node processes: the stack commands, status (a row per
/// member with role, term, commit, applied, digest, lag), members, and watch printing the leader change when the
/// leader is SIGKILLed. One cluster for both tests (either order works: two of three nodes keep a majority).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CliTests(CliTests.ThreeNodes nodes, ITestOutputHelper output) : IClassFixture<CliTests.ThreeNodes>, IAsyncLifetime
{
    public sealed class ThreeNodes : IAsyncLifetime
    {
        public ProcessCluster Cluster { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Cluster = ProcessCluster.Start(3);
            await Cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(90));
        }

        public async Task DisposeAsync() => await Cluster.DisposeAsync();
    }

    private ProcessCluster Cluster => nodes.Cluster;

    public Task InitializeAsync() => Cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));

    public Task DisposeAsync() => Task.CompletedTask;

    private void Log(string line)
    {
        try { output.WriteLine(line); }
        catch (InvalidOperationException) { }
    }

    private string NodesArgument => string.Join(",", Cluster.Nodes.Select(n => n.HttpUrl.ToString().TrimEnd('/')));

    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "DistStack.Cli.dll");

    /// <summary>Runs `diststack args --nodes ...` and returns its exit code and output.</summary>
    private async Task<(int Exit, string Out, string Err)> Cli(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(CliDll);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.ArgumentList.Add("--nodes");
        start.ArgumentList.Add(NodesArgument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var result = (process.ExitCode, await stdout, await stderr);
        Log($"diststack {string.Join(' ', args)} -> {result.ExitCode}\n{result.Item2}{result.Item3}");
        return result;
    }

    [Fact]
    public async Task Stack_commands_status_and_members_work_against_real_nodes()
    {
        Assert.Equal((0, "created\n"), Pick(await Cli("create", "cli-a")));
        Assert.Equal((0, "exists\n"), Pick(await Cli("create", "cli-a")));
        Assert.Equal((0, "3\n"), Pick(await Cli("push", "cli-a", "x", "y", "z, with a comma")));
        Assert.Equal((0, "z, with a comma\n"), Pick(await Cli("top", "cli-a")));
        Assert.Equal((0, "3\n"), Pick(await Cli("size", "cli-a")));
        Assert.Equal((0, "z, with a comma\ny\n"), Pick(await Cli("pop", "cli-a", "--count", "2")));
        Assert.Equal((0, "created\n"), Pick(await Cli("create", "cli-b")));
        Assert.Equal((0, "cli-a\ncli-b\n"), Pick(await Cli("list")));
        Assert.Equal((0, "deleted\n"), Pick(await Cli("delete", "cli-b")));

        var missing = await Cli("pop", "no-such-stack");
        Assert.Equal(1, missing.Exit);
        Assert.Contains("No such stack", missing.Err);
        var refused = await Cli("push", "bad id!", "v"); // a 400 from the node: a refusal, exit 1
        Assert.Equal(1, refused.Exit);
        Assert.Contains("400", refused.Err);

        var status = await Cli("status");
        Assert.Equal(0, status.Exit);
        var lines = status.Out.TrimEnd('\n').Split('\n');
        Assert.StartsWith("NODE", lines[0]);
        foreach (var header in new[] { "ROLE", "TERM", "COMMIT", "APPLIED", "DIGEST", "LAG" }) Assert.Contains(header, lines[0]);
        var rows = lines.Skip(1).Take(3).ToList(); // a row per member (a down member adds a line saying why after the table)
        Assert.Equal(Cluster.Nodes.Select(n => n.HttpUrl.Authority), rows.Select(r => r.Split(' ')[0]));
        Assert.Single(rows, l => l.Contains(" leader "));
        foreach (var node in Cluster.Nodes.Where(n => !n.IsRunning))
            Assert.Contains(rows, r => r.StartsWith(node.HttpUrl.Authority + " ") && r.Contains(" down "));

        var members = await Cli("members");
        Assert.Equal(0, members.Exit);
        Assert.Contains("REACHABLE", members.Out);
        Assert.Equal(3, members.Out.Split('\n').Count(l => l.Contains("yes") || l.Contains(" no ")));
    }

    private static (int, string) Pick((int Exit, string Out, string Err) result) => (result.Exit, result.Out);

    [Fact]
    public async Task Watch_prints_one_line_per_change_and_shows_a_killed_leader_replaced()
    {
        var leader = await Cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var watching = Cli("watch", "--interval", "00:00:00.2", "--for", "00:00:07");
        // Let watch start and print its first round (about a second for the process to start), then kill the leader.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await leader.KillAsync();
        var watched = await watching;

        Assert.Equal(0, watched.Exit);
        var lines = watched.Out.TrimEnd('\n').Split('\n');
        Assert.Contains(lines, l => l.Contains($"{leader.HttpUrl.Authority}: down (was node {leader.Id} leader"));
        Assert.Contains(lines, l => l.Contains(" leader, term ") && l.Contains("(was node") && !l.Contains(leader.HttpUrl.Authority));
        // One line per change, not per poll: 7 s at 5 polls a second would be ~100 lines for three nodes.
        Assert.True(lines.Length < 20, $"{lines.Length} lines:\n{watched.Out}");
    }
}
