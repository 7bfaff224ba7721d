using Akka.Configuration;
using DistStack.Actors.Backup;
using DistStack.Actors.Hosting;

namespace DistStack.Host.CommandLine;

/// <summary>
/// Runs <c>DistStack.Host restore</c> (<see cref="RestoreCommandLine"/>): verifies the backup, refuses a new cluster
/// id equal to the backup's and any non-empty target directory before writing anything, then creates each member's
/// data directory (<see cref="RestoredDataDirectory"/>). SQLite only: a PostgreSQL node keeps its journal in a
/// database of its own, which one restore run cannot address for every member yet.
/// </summary>
public static class RestoreCommand
{
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        switch (RestoreCommandLine.Parse(args, out var options))
        {
            case CommandLineResult.ShowHelp help:
                await output.WriteAsync(help.Text);
                return ExitCodes.Ok;
            case CommandLineResult.Refuse refuse:
                await error.WriteLineAsync(refuse.Message);
                return refuse.ExitCode;
        }
        try
        {
            return await RestoreAsync(options!, output);
        }
        catch (RestoreRefusedException e)
        {
            await error.WriteLineAsync($"cannot restore: {e.Message}");
            return ExitCodes.Failed;
        }
    }

    private static async Task<int> RestoreAsync(RestoreOptions options, TextWriter output)
    {
        Config userConfig;
        try
        {
            userConfig = options.ConfigFile is null ? Config.Empty : HostConfigFiles.Read(options.ConfigFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ConfigurationException or FormatException)
        {
            throw new RestoreRefusedException($"--config: cannot read '{options.ConfigFile}': {e.Message}");
        }

        byte[] file;
        try
        {
            file = await File.ReadAllBytesAsync(options.SnapshotFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RestoreRefusedException($"cannot read {options.SnapshotFile}: {e.Message}");
        }
        BackupHeader header;
        byte[] state;
        try
        {
            (header, state) = BackupFile.Read(file);
        }
        catch (BackupFormatException e)
        {
            throw new RestoreRefusedException($"{options.SnapshotFile} cannot be restored: {e.Message}");
        }

        var members = options.DataDirectories.Keys.Order()
            .Select(id => SettingsFor(options, id, options.DataDirectories[id], userConfig)).ToList();
        var provider = members[0].ProviderName;
        if (!provider.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase))
            throw new RestoreRefusedException(
                $"restoring into {provider} is not supported yet (only SQLite data directories): restore into SQLite, or load the state through the API");
        var newClusterId = members[0].ClusterId;
        if (newClusterId == header.ClusterId)
            throw new RestoreRefusedException(
                $"the new cluster's id {ClusterIdentity.Format(newClusterId)} is the backup's own: the restored cluster could " +
                "talk to the old one. Pick another --cluster-token");
        var occupied = members.Where(m => !RestoredDataDirectory.IsEmptyOrMissing(m.DataDirectory)).Select(m => m.DataDirectory).ToList();
        if (occupied.Count > 0)
            throw new RestoreRefusedException(
                $"not empty: {string.Join(", ", occupied)}. A restore only creates new data directories; nothing was written");

        await output.WriteLineAsync(
            $"backup of cluster {ClusterIdentity.Format(header.ClusterId)} at index {header.Index}, term {header.Term} " +
            $"(taken by node {header.TakenByNodeId} at {DateTimeOffset.FromUnixTimeMilliseconds(header.TakenAtUnixMs):u}, " +
            $"{header.Configuration}, {state.Length} bytes of state): checksum ok");
        foreach (var member in members)
        {
            try
            {
                await RestoredDataDirectory.CreateAsync(member, header, state, WriteTimeout);
            }
            catch (Exception e) when (e is not RestoreRefusedException)
            {
                // A storage error or a timeout mid-way: say where, so the half-written directory is not started.
                throw new RestoreRefusedException(
                    $"writing node {member.NodeId} into {member.DataDirectory} failed ({e.GetType().Name}: {e.Message}); " +
                    "delete that directory (and those of the members after it) before trying again");
            }
            await output.WriteLineAsync(
                $"node {member.NodeId} of new cluster {ClusterIdentity.Format(newClusterId)}: restored into {member.DataDirectory}");
        }
        await output.WriteLineAsync(
            $"start each node as usual: DistStack.Host --id N --cluster {string.Join(",", options.Cluster.Select(u => $"{u.Scheme}://{u.Authority}"))} --port P --data-dir DIR");
        return ExitCodes.Ok;
    }

    /// <summary>What the node itself will run with (RaftNodeHosting.LoadSettings), before its data directory exists.</summary>
    private static RaftNodeSettings SettingsFor(RestoreOptions options, int nodeId, string dataDir, Config userConfig)
    {
        var ours = ConfigurationFactory.ParseString($$"""
            diststack {
              node-id = {{nodeId}}
              cluster = [{{string.Join(", ", options.Cluster.Select(u => Quote($"{u.Host}:{u.Port}")))}}]
              data-dir = {{Quote(Path.GetFullPath(dataDir))}}
              cluster-token = {{Quote(options.ClusterToken)}}
            }
            """);
        var settings = RaftNodeSettings.FromConfig(userConfig.IsEmpty ? ours : ours.WithFallback(userConfig));
        try
        {
            settings.Validate();
        }
        catch (ArgumentException e)
        {
            throw new RestoreRefusedException(e.Message);
        }
        return settings;
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
