using System.Diagnostics;
using System.Runtime.InteropServices;
using Npgsql;

namespace DistStack.Tests.Support;

/// <summary>
/// A real PostgreSQL server for one test collection: its own cluster made by initdb in a folder under the system
/// temp dir, listening on a free port on 127.0.0.1 only, with fsync and synchronous_commit on (what durability needs).
/// The server refuses to run as root, so as root it runs as the <c>postgres</c> user (runuser). Stopped by its pid:
/// <see cref="Dispose"/> asks for a fast shutdown and waits until the postmaster is gone.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopDeadline = TimeSpan.FromSeconds(30);

    private PostgresServer(PostgresBinaries binaries, string root, int port)
    {
        Binaries = binaries;
        RootDirectory = root;
        Port = port;
    }

    public PostgresBinaries Binaries { get; }

    /// <summary>Holds the cluster (data/), the server's log and its socket directory.</summary>
    public string RootDirectory { get; }

    public string DataDirectory => Path.Combine(RootDirectory, "data");
    public string LogPath => Path.Combine(RootDirectory, "server.log");
    private string SocketDirectory => Path.Combine(RootDirectory, "socket");

    public int Port { get; }

    /// <summary>The postmaster's pid while it runs (from postmaster.pid); null when stopped.</summary>
    public int? Pid { get; private set; }

    /// <summary>initdb, then start. Throws <see cref="PostgresUnavailableException"/> when no binaries are installed.</summary>
    public static PostgresServer Start()
    {
        var binaries = PostgresBinaries.Find() ?? throw new PostgresUnavailableException(PostgresBinaries.NotFoundReason);
        var root = Path.Combine(Path.GetTempPath(), "diststack-tests", "postgres-" + Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(root);
        var server = new PostgresServer(binaries, root, TestPorts.Take(1)[0]);
        try
        {
            Directory.CreateDirectory(server.SocketDirectory);
            if (RunsAsRoot) ChownToPostgres(root);
            // --no-sync only skips flushing initdb's own template files (a throwaway cluster); the server itself
            // runs with fsync on, so every commit the tests rely on is flushed.
            server.RunAsServerUser(binaries.InitDb, "-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync");
            server.StartServer();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>An Npgsql connection string for one database of this server.</summary>
    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = "postgres",
            Database = database,
            // The tests kill and restart the server: do not wait 15 s on a connection that cannot succeed.
            Timeout = 5,
        }.ConnectionString;

    /// <summary>Creates a fresh database and returns its connection string: one per node, as in production.</summary>
    public string CreateDatabase(string name)
    {
        using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE \"{name}\"";
        command.ExecuteNonQuery();
        return ConnectionString(name);
    }

    /// <summary>
    /// A --config file per node in <paramref name="directory"/> (node-1.conf ...), each pointing that node's journal
    /// and snapshots at a new database of its own (node1 ...), as an operator would; by node id.
    /// </summary>
    public IReadOnlyDictionary<int, string> WriteNodeConfigs(int nodes, string directory)
    {
        Directory.CreateDirectory(directory);
        return Enumerable.Range(1, nodes).ToDictionary(id => id, id =>
        {
            var path = Path.Combine(directory, $"node-{id}.conf");
            File.WriteAllText(path, PostgresPersistenceConfig.Hocon(CreateDatabase($"node{id}")));
            return path;
        });
    }

    /// <summary>A fresh database name: lower case (PostgreSQL folds unquoted names), unique within the server.</summary>
    public static string NewDatabaseName(string prefix) => $"{prefix}_{Guid.NewGuid():n}"[..Math.Min(prefix.Length + 13, 63)].ToLowerInvariant();

    /// <summary>The value of a server setting as this server reports it (e.g. "fsync", "synchronous_commit").</summary>
    public string Show(string setting)
    {
        using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SHOW " + setting;
        return (string)command.ExecuteScalar()!;
    }

    /// <summary>
    /// A crash: SIGKILL to the postmaster and every backend at once (pg_ctl makes the postmaster a process group
    /// leader; a postmaster killed alone would leave backends holding its shared memory, and no restart).
    /// <see cref="Restart"/> then recovers from the WAL, as after a power cut with the OS cache intact.
    /// </summary>
    public void Kill()
    {
        if (Pid is not { } pid) return;
        NodeProcess.Signals.Send(-pid, 9);
        WaitUntilGone(pid);
        Pid = null;
    }

    /// <summary>Starts the server again on the same data directory and port (after <see cref="Kill"/>).</summary>
    public void Restart()
    {
        if (Pid is not null) throw new InvalidOperationException("the PostgreSQL server is still running");
        StartServer();
    }

    public void Dispose()
    {
        if (Pid is { } pid)
        {
            // SIGINT is PostgreSQL's fast shutdown: clients disconnected, a checkpoint, exit.
            try
            {
                NodeProcess.Signals.Send(pid, 2);
                WaitUntilGone(pid);
            }
            catch (Exception)
            {
                if (IsAlive(pid)) NodeProcess.Signals.Send(pid, 9);
            }
            Pid = null;
        }
        if (Environment.GetEnvironmentVariable("DISTSTACK_KEEP_TEST_DATA") == "1") return;
        try
        {
            Directory.Delete(RootDirectory, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    public override string ToString() => $"PostgreSQL {Binaries.Version} on 127.0.0.1:{Port} (pid {Pid?.ToString() ?? "-"}, data {DataDirectory})";

    private void StartServer()
    {
        // A crash leaves postmaster.pid behind; the server itself checks that the pid in it is gone and starts anyway.
        // pg_ctl -w returns once the server accepts connections; the postmaster is then a daemon, found by its pid file.
        var options = string.Join(" ",
            $"-p {Port}",
            "-c listen_addresses=127.0.0.1",
            $"-k {SocketDirectory}",
            "-c fsync=on",
            "-c synchronous_commit=on",
            "-c full_page_writes=on",
            "-c max_connections=200");
        RunAsServerUser(Binaries.PgCtl, "start", "-w", "-t", ((int)StartDeadline.TotalSeconds).ToString(),
            "-D", DataDirectory, "-l", LogPath, "-o", options);
        var pidLine = File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).First();
        Pid = int.Parse(pidLine.Trim());
    }

    private void RunAsServerUser(string program, params string[] arguments)
    {
        var start = RunsAsRoot ? new ProcessStartInfo("runuser") : new ProcessStartInfo(program);
        if (RunsAsRoot)
        {
            foreach (var a in new[] { "-u", "postgres", "--", program }) start.ArgumentList.Add(a);
        }
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.WorkingDirectory = RootDirectory; // readable by the postgres user, unlike the test's working directory
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(StartDeadline))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(program)} did not finish within {StartDeadline.TotalSeconds} s");
        }
        if (process.ExitCode != 0)
        {
            var log = File.Exists(LogPath) ? string.Join("\n", File.ReadLines(LogPath).TakeLast(20)) : "";
            throw new InvalidOperationException(
                $"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited {process.ExitCode}:\n{stdout.Result}{stderr.Result}\n{log}");
        }
    }

    private static void WaitUntilGone(int pid)
    {
        var clock = Stopwatch.StartNew();
        while (IsAlive(pid))
        {
            if (clock.Elapsed > StopDeadline) throw new TimeoutException($"postgres pid {pid} still alive after {StopDeadline.TotalSeconds} s");
            Thread.Sleep(20); // polling a process that is not our child: there is nothing to wait on
        }
    }

    /// <summary>
    /// True while the process exists and has not exited. The postmaster is a daemon (pg_ctl's child, re-parented to
    /// init), and a container's init may be slow to reap it: a zombie counts as gone.
    /// </summary>
    private static bool IsAlive(int pid)
    {
        if (kill(pid, 0) != 0) return false;
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() != 'Z';
        }
        catch (IOException)
        {
            return false; // gone between the two checks
        }
    }

    private static bool RunsAsRoot => geteuid() == 0;

    /// <summary>The postgres user must own its cluster's folder; the parent folders are world-searchable temp dirs.</summary>
    private static void ChownToPostgres(string path)
    {
        var start = new ProcessStartInfo("chown") { UseShellExecute = false };
        foreach (var a in new[] { "-R", "postgres:postgres", path }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"chown -R postgres {path} failed ({process.ExitCode})");
    }

    [DllImport("libc")]
    private static extern uint geteuid();

    [DllImport("libc")]
    private static extern int kill(int pid, int sig);
}

/// <summary>No PostgreSQL server binaries on this machine: the message says how to get them.</summary>
public sealed class PostgresUnavailableException(string message) : Exception(message);
