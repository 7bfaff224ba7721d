using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace DistStack.Tests.Chaos;

/// <summary>
/// Thin wrappers over ip(8)/iptables(8) for the namespace mode. Every address and interface lives inside
/// namespaces this runner creates (names start with "dsc"), never in the host's own network namespace.
/// </summary>
internal static class NetworkNamespaces
{
    public const string Prefix = "dsc";

    public static (bool Ok, string Why) Prerequisites()
    {
        if (!OperatingSystem.IsLinux())
        {
            return (false, "not Linux");
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return (false, "not running as root");
        }

        foreach (var tool in new[] { "ip", "iptables" })
        {
            if (Which(tool) is null)
            {
                return (false, $"'{tool}' not found");
            }
        }

        if (!Directory.Exists("/var/run/netns") && !TryRun("ip", "netns", "list").Ok)
        {
            return (false, "'ip netns' does not work here");
        }

        return (true, "");
    }

    public static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Append("/sbin")
        .Select(dir => Path.Combine(dir, tool))
        .FirstOrDefault(File.Exists);

    public static void Run(params string[] args)
    {
        var (ok, output) = TryRun(args);
        if (!ok)
        {
            throw new InvalidOperationException($"'{string.Join(' ', args)}' failed: {output.Trim()}");
        }
    }

    public static void RunWithInput(string input, params string[] args)
    {
        var (ok, output) = TryRunWithInput(input, args);
        if (!ok)
        {
            throw new InvalidOperationException($"'{string.Join(' ', args)}' failed: {output.Trim()}");
        }
    }

    public static (bool Ok, string Output) TryRun(params string[] args) => TryRunWithInput(null, args);

    public static (bool Ok, string Output) TryRunWithInput(string? input, params string[] args)
    {
        var start = new ProcessStartInfo(Which(args[0]) ?? args[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
        };
        foreach (var a in args.Skip(1))
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            return (false, "timed out");
        }

        return (process.ExitCode == 0, stdout.Result + stderr.Result);
    }

    /// <summary>Namespaces left behind by a run that crashed (ours: "dscXXXX-...").</summary>
    public static void RemoveStale(Action<string> log)
    {
        var (ok, output) = TryRun("ip", "netns", "list");
        if (!ok)
        {
            return;
        }

        foreach (var name in output.Split('\n').Select(l => l.Split(' ')[0].Trim())
                     .Where(n => System.Text.RegularExpressions.Regex.IsMatch(n, $"^{Prefix}[0-9a-f]{{4}}-(hub|n[0-9]+)$")))
        {
            log($"removing stale namespace {name} from an earlier run");
            TryRun("ip", "netns", "del", name);
        }
    }
}

/// <summary>
/// Creates TCP sockets inside a network namespace: one dedicated thread enters it with setns(2) (which only
/// affects the calling thread) and makes every socket; a socket stays in the namespace it was made in.
/// </summary>
internal sealed class NamespaceSocketFactory : IDisposable
{
    private const int CloneNewNet = 0x40000000;
    private readonly BlockingCollection<TaskCompletionSource<Socket>> _requests = new();
    private readonly Thread _thread;

    public NamespaceSocketFactory(string namespaceName)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{namespaceName}");
                if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns into {namespaceName} failed: errno {Marshal.GetLastPInvokeError()}");
                }

                ready.SetResult();
            }
            catch (Exception e)
            {
                ready.SetException(e);
                return;
            }

            foreach (var request in _requests.GetConsumingEnumerable())
            {
                try
                {
                    request.SetResult(new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true });
                }
                catch (Exception e)
                {
                    request.SetException(e);
                }
            }
        })
        {
            IsBackground = true,
            Name = $"sockets in netns {namespaceName}",
        };
        _thread.Start();
        ready.Task.GetAwaiter().GetResult();
    }

    public Task<Socket> CreateAsync()
    {
        var request = new TaskCompletionSource<Socket>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests.Add(request);
        return request.Task;
    }

    public void Dispose() => _requests.CompleteAdding();

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);
}
