using System.Diagnostics;
using DistStack.Tests.Support;

namespace DistStack.Tests.Host;

/// <summary>
/// A node configured for PostgreSQL whose server is not there exits at once with one clear line and code 1, instead
/// of retrying the SQL plugins' initialization forever while never becoming ready. Needs no PostgreSQL: nothing
/// listens on the port.
/// </summary>
public sealed class DatabaseUnreachableAtStartupTests
{
    [Fact]
    public async Task A_node_whose_PostgreSQL_is_unreachable_exits_1_with_one_line_naming_the_database()
    {
        var ports = TestPorts.Take(3);
        var root = Path.Combine(Path.GetTempPath(), "diststack-tests", "pg-unreachable-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            var config = Path.Combine(root, "node.conf");
            await File.WriteAllTextAsync(config, PostgresPersistenceConfig.Hocon(
                $"Host=127.0.0.1;Port={ports[2]};Username=diststack;Password=secret;Database=node1"));

            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[]
                     {
                         NodeProcessBuildOutput.HostDll, "--id", "1", "--cluster", $"http://127.0.0.1:{ports[0]}",
                         "--port", ports[1].ToString(), "--data-dir", Path.Combine(root, "data"), "--config", config,
                     })
                start.ArgumentList.Add(argument);
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            finally
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
            }

            var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(1, process.ExitCode);
            var line = Assert.Single(lines);
            Assert.StartsWith("cannot start node 1: the journal database is unreachable (PostgreSQL.15, ", line);
            Assert.Contains($"port={ports[2]}", line, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("refused", line, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("secret", line);
            Assert.DoesNotContain("Exception", await stdout);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed} to give up");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
