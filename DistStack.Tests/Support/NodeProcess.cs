using System.Diagnostics;
using System.Net.Sockets;

namespace DistStack.Tests.Support;

/// <summary>
/// One real DistStack.Host process: started with <c>dotnet DistStack.Host.dll</c>, its stdout and stderr appended to
/// <see cref="LogPath"/> (across restarts), stopped with real signals. A restart reuses the same data dir and ports.
/// </summary>
public sealed partial class NodeProcess : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly IReadOnlyList<string> _arguments;
    private readonly IReadOnlyDictionary<string, string?> _environment;
    private readonly string _hostDll;
    private Process? _process;
    private StreamWriter? _log;
    private Task _pumps = Task.CompletedTask;

    public NodeProcess(int id, int httpPort, int raftPort, string dataDir, string logPath, string hostDll,
        IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        Id = id;
        HttpPort = httpPort;
        RaftPort = raftPort;
        DataDir = dataDir;
        LogPath = logPath;
        _hostDll = hostDll;
        _arguments = arguments;
        _environment = environment;
        HttpUrl = new Uri($"http://127.0.0.1:{httpPort}");
    }

    public int Id { get; }
    public int HttpPort { get; }
    public int RaftPort { get; }
    public string DataDir { get; }
    public string LogPath { get; }
    public Uri HttpUrl { get; }

    /// <summary>How many times the process was started (1 after the first start).</summary>
    public int Starts { get; private set; }

    /// <summary>True between a SIGSTOP (<see cref="Pause"/>) and a SIGCONT (<see cref="Resume"/>).</summary>
    public bool IsPaused { get; private set; }

    public int? Pid => IsRunning ? _process!.Id : null;

    public bool IsRunning
    {
        get
        {
            lock (_gate) return _process is { HasExited: false };
        }
    }

    /// <summary>Running and not paused: expected to answer.</summary>
    public bool IsServing => IsRunning && !IsPaused;

    public int? ExitCode
    {
        get
        {
            lock (_gate) return _process is { HasExited: true } p ? p.ExitCode : null;
        }
    }

    public void Start()
    {
        lock (_gate)
        {
            if (_process is { HasExited: false }) throw new InvalidOperationException($"node {Id} is already running");
            _process?.Dispose();

            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Path.GetDirectoryName(DataDir)!,
            };
            start.ArgumentList.Add(_hostDll);
            foreach (var argument in StartArguments()) start.ArgumentList.Add(argument);
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("DISTSTACK_", StringComparison.Ordinal)).ToList())
                start.Environment.Remove(name);
            start.Environment.Remove("ASPNETCORE_URLS");
            start.Environment["DISTSTACK_PARENT_PID"] = Environment.ProcessId.ToString();
            foreach (var (name, value) in _environment) start.Environment[name] = value;

            _log ??= new StreamWriter(new FileStream(LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
            var log = _log;
            log.WriteLine($"===== harness: starting node {Id} (start #{Starts + 1}) at {DateTime.UtcNow:HH:mm:ss.fff}: dotnet {string.Join(' ', start.ArgumentList)}");

            var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
            _process = process;
            Starts++;
            IsPaused = false;
            _pumps = Task.WhenAll(Pump(process.StandardOutput, log), Pump(process.StandardError, log));
        }
    }

    /// <summary>SIGKILL: no shutdown code runs. Returns once the process is gone.</summary>
    public async Task KillAsync()
    {
        Process? process;
        lock (_gate) process = _process;
        if (process is null || process.HasExited) return;
        if (IsPaused) Resume(); // a stopped process dies of SIGKILL too, but keep our state simple
        process.Kill();
        await WaitForExitAsync(TimeSpan.FromSeconds(10));
        Note($"killed (SIGKILL) node {Id}");
    }

    /// <summary>SIGTERM: a graceful stop. Use <see cref="WaitForExitAsync"/> to see it finish.</summary>
    public void Terminate()
    {
        SendSignal(Signals.Term);
        Note($"sent SIGTERM to node {Id}");
    }

    /// <summary>SIGSTOP: the process freezes (a stand-in for a long GC pause or a hung VM).</summary>
    public void Pause()
    {
        SendSignal(Signals.Stop);
        IsPaused = true;
        Note($"paused (SIGSTOP) node {Id}");
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume()
    {
        SendSignal(Signals.Cont);
        IsPaused = false;
        Note($"resumed (SIGCONT) node {Id}");
    }

    /// <summary>Waits for the process to exit; returns its exit code, or null if it was still running at the deadline.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        Process? process;
        lock (_gate) process = _process;
        if (process is null) return null;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        await _pumps.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        return process.ExitCode;
    }

    /// <summary>Kill (if running) and start again with the same arguments, ports and data dir.</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        Start();
    }

    /// <summary>Everything the node wrote, across all its starts.</summary>
    public string ReadLog()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public string TailLog(int lines)
    {
        var all = ReadLog().Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>Writes a harness line into this node's log, so the log tells the whole story.</summary>
    public void Note(string text)
    {
        lock (_gate) _log?.WriteLine($"===== harness: {text} at {DateTime.UtcNow:HH:mm:ss.fff}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        catch (InvalidOperationException)
        {
            // never started
        }
        lock (_gate)
        {
            _process?.Dispose();
            _process = null;
            _log?.Dispose();
            _log = null;
        }
    }

    public override string ToString() => $"node {Id} (http {HttpPort}, raft {RaftPort}, pid {Pid?.ToString() ?? "-"})";

    private void SendSignal(int signal)
    {
        Process? process;
        lock (_gate) process = _process;
        if (process is null || process.HasExited) throw new InvalidOperationException($"node {Id} is not running");
        Signals.Send(process.Id, signal);
    }

    private static async Task Pump(StreamReader source, StreamWriter log)
    {
        try
        {
            string? line;
            while ((line = await source.ReadLineAsync()) is not null)
            {
                lock (log) log.WriteLine(line);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // the process or the log went away; nothing more to copy
        }
    }
}
