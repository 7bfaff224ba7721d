using DistStack.Actors.Backup;
using DistStack.Actors.Hosting;
using DistStack.Actors.Raft;
using DistStack.Actors.Stacks;
using DistStack.Host.CommandLine;

namespace DistStack.Tests.Backup;

/// <summary>
/// What <c>DistStack.Host restore</c> refuses before it writes anything (the successful restore runs with real
/// processes in Processes/BackupRestoreTests): a damaged backup, a new cluster id equal to the backup's, a non-empty
/// target directory, a storage other than SQLite.
/// </summary>
public sealed class RestoreCommandTests : IDisposable
{
    private const string Cluster = "http://127.0.0.1:12379,http://127.0.0.1:22379";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "diststack-tests", $"restore-{Guid.NewGuid():N}"[..20]);

    public RestoreCommandTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string WriteBackup(ulong clusterId, Func<byte[], byte[]>? damage = null)
    {
        var state = StackState.Empty(new StackStateOptions());
        (state, _) = state.Apply(1, new CreateStack("k", "s"));
        var file = BackupFile.ToBytes(new BackupHeader(clusterId, 1, 1, ClusterConfiguration.Of(1), 1, 0), StackSnapshotCodec.Write(state));
        var path = Path.Combine(_root, "test.backup");
        File.WriteAllBytes(path, damage is null ? file : damage(file));
        return path;
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> RestoreAsync(params string[] args)
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var exitCode = await RestoreCommand.RunAsync(args, stdout, stderr);
        return (exitCode, stdout.ToString(), stderr.ToString());
    }

    private string Template => Path.Combine(_root, "node-{id}");

    [Fact]
    public async Task A_non_empty_data_directory_is_refused_and_no_member_is_written()
    {
        var backup = WriteBackup(42);
        Directory.CreateDirectory(Path.Combine(_root, "node-2"));
        await File.WriteAllTextAsync(Path.Combine(_root, "node-2", "keep-me"), "data");

        var (exitCode, _, stderr) = await RestoreAsync("--snapshot", backup, "--cluster", Cluster, "--cluster-token", "new", "--data-dir-template", Template);

        Assert.Equal(ExitCodes.Failed, exitCode);
        Assert.Contains($"not empty: {Path.Combine(_root, "node-2")}", stderr);
        Assert.False(Directory.Exists(Path.Combine(_root, "node-1")));
        Assert.Equal(["keep-me"], Directory.GetFiles(Path.Combine(_root, "node-2")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_new_cluster_id_equal_to_the_backups_is_refused()
    {
        var members = Cluster.Split(',').Select((url, i) => PeerEndpoint.Parse(i + 1, url));
        var backup = WriteBackup(ClusterIdentity.FromMembers(members, "same"));

        var (exitCode, _, stderr) = await RestoreAsync("--snapshot", backup, "--cluster", Cluster, "--cluster-token", "same", "--data-dir-template", Template);

        Assert.Equal(ExitCodes.Failed, exitCode);
        Assert.Contains("is the backup's own", stderr);
        Assert.Empty(Directory.GetDirectories(_root));
    }

    [Fact]
    public async Task A_damaged_backup_is_refused_with_the_reason()
    {
        var backup = WriteBackup(42, file => file[..^1]);

        var (exitCode, _, stderr) = await RestoreAsync("--snapshot", backup, "--cluster", Cluster, "--cluster-token", "new", "--data-dir-template", Template);

        Assert.Equal(ExitCodes.Failed, exitCode);
        Assert.Contains("cannot be restored: truncated", stderr);
        Assert.Empty(Directory.GetDirectories(_root));
    }

    [Fact]
    public async Task A_missing_backup_file_is_refused()
    {
        var (exitCode, _, stderr) = await RestoreAsync("--snapshot", Path.Combine(_root, "nope"), "--cluster", Cluster, "--cluster-token", "new");

        Assert.Equal(ExitCodes.Failed, exitCode);
        Assert.Contains("cannot read", stderr);
    }

    [Fact]
    public async Task PostgreSQL_is_refused_as_not_supported_yet()
    {
        var backup = WriteBackup(42);
        var config = Path.Combine(_root, "pg.conf");
        await File.WriteAllTextAsync(config, "diststack.persistence.provider-name = \"PostgreSQL.15\"\n");

        var (exitCode, _, stderr) = await RestoreAsync("--snapshot", backup, "--cluster", Cluster, "--cluster-token", "new",
            "--data-dir-template", Template, "--config", config);

        Assert.Equal(ExitCodes.Failed, exitCode);
        Assert.Contains("PostgreSQL.15 is not supported yet", stderr);
        Assert.Empty(Directory.GetDirectories(_root));
    }

    [Fact]
    public async Task RestoredDataDirectory_refuses_a_non_empty_directory_itself()
    {
        var dataDir = Path.Combine(_root, "occupied");
        Directory.CreateDirectory(dataDir);
        await File.WriteAllTextAsync(Path.Combine(dataDir, "identity.json"), "{}");
        var settings = RaftNodeSettings.FromConfig(Akka.Configuration.ConfigurationFactory.ParseString(
            $"diststack {{ node-id = 1, cluster = [\"127.0.0.1:12379\"], data-dir = \"{dataDir.Replace("\\", "/")}\", cluster-token = t }}"));

        var error = await Assert.ThrowsAsync<RestoreRefusedException>(() =>
            RestoredDataDirectory.CreateAsync(settings, new BackupHeader(1, 1, 1, ClusterConfiguration.Of(1), 1, 0), [], TimeSpan.FromSeconds(5)));
        Assert.Contains("is not empty", error.Message);
        Assert.Equal("{}", await File.ReadAllTextAsync(Path.Combine(dataDir, "identity.json")));
    }
}
