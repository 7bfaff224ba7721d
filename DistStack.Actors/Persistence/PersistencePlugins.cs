using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Persistence.Sql.Config;
using DistStack.Actors.Hosting;
using LinqToDB;
using LinqToDB.Interceptors;

namespace DistStack.Actors.Persistence;

/// <summary>
/// The journal and snapshot store of a node: Akka.Persistence.Sql over whatever linq2db provider the settings
/// name (SQLite by default, files in the data directory, journal and snapshots in separate files so they never
/// contend for SQLite's single writer lock).
/// </summary>
public static class PersistencePlugins
{
    public const string JournalPluginId = "akka.persistence.journal.diststack-sql";
    public const string SnapshotPluginId = "akka.persistence.snapshot-store.diststack-sql";

    public static Config Hocon(RaftNodeSettings settings)
    {
        var journalPlugin = string.IsNullOrEmpty(settings.JournalPluginId) ? JournalPluginId : settings.JournalPluginId;
        var snapshotPlugin = string.IsNullOrEmpty(settings.SnapshotPluginId) ? SnapshotPluginId : settings.SnapshotPluginId;
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "{{journalPlugin}}"
                diststack-sql {
                  class = "Akka.Persistence.Sql.Journal.SqlWriteJournal, Akka.Persistence.Sql"
                  # The key under which the plugin looks up its DataOptions (with the pragma interceptor) in the setup.
                  plugin-id = "{{JournalPluginId}}"
                  plugin-dispatcher = "akka.actor.default-dispatcher"
                  connection-string = {{Quote(settings.JournalConnectionString)}}
                  provider-name = {{Quote(settings.ProviderName)}}
                  auto-initialize = on
                  # One writer, always: writes become durable in the order RaftNode queued them, which Raft's
                  # asynchronous writes rely on (Ready.cs). SQLite has a single writer anyway.
                  parallelism = 1
                  # Group commit: each Raft Ready is one atomic write, and the plugin batches the writes queued meanwhile.
                  max-batch-size = 1000
                  # The default (on) clones the linq2db connection, and with it a new MappingSchema, for every write:
                  # in profiles of a follower at 64 clients the clone was ~12% of the journal's samples and the insert
                  # rebuilt for the new schema ~17%. Off, each write opens a plain connection from the DataOptions
                  # (the pragma interceptor still runs); measured: +10-15% writes/s.
                  use-clone-connection = off
                }
              }
              snapshot-store {
                plugin = "{{snapshotPlugin}}"
                diststack-sql {
                  class = "Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql"
                  plugin-id = "{{SnapshotPluginId}}"
                  plugin-dispatcher = "akka.actor.default-dispatcher"
                  connection-string = {{Quote(settings.SnapshotConnectionString)}}
                  provider-name = {{Quote(settings.ProviderName)}}
                  auto-initialize = on
                  use-clone-connection = off
                }
              }
            }
            """);
    }

    /// <summary>
    /// DataOptions for one plugin: provider and connection string from the settings (as the HOCON says) plus the
    /// interceptor that runs the connection pragmas on every connection the plugin opens.
    /// </summary>
    public static (DataOptions Options, ConnectionPragmaInterceptor Interceptor) DataOptionsFor(
        RaftNodeSettings settings, string connectionString, IReadOnlyList<IInterceptor>? extraInterceptors = null)
    {
        var interceptor = new ConnectionPragmaInterceptor(settings.ConnectionPragmas);
        var options = new DataOptions()
            .UseConnectionString(settings.ProviderName, connectionString)
            .UseInterceptor(interceptor);
        foreach (var extra in extraInterceptors ?? []) options = options.UseInterceptor(extra);
        return (options, interceptor);
    }

    /// <summary>
    /// The ActorSystem setup that hands those DataOptions to the SQL journal and snapshot store (by plugin id).
    /// Every node's ActorSystem must be created with it (NodeConfig.Bootstrap; Akka.Hosting: AddSetup).
    /// </summary>
    /// <param name="journalInterceptors">Extra linq2db interceptors for the journal's connections (fault injection in tests).</param>
    public static NodePersistenceSetup Setup(RaftNodeSettings settings, IReadOnlyList<IInterceptor>? journalInterceptors = null)
    {
        var journal = DataOptionsFor(settings, settings.JournalConnectionString, journalInterceptors);
        var snapshots = DataOptionsFor(settings, settings.SnapshotConnectionString);
        var setup = new MultiDataOptionsSetup();
        setup.AddDataOptions(JournalPluginId, journal.Options);
        setup.AddDataOptions(SnapshotPluginId, snapshots.Options);
        return new NodePersistenceSetup(setup, journal.Options, journal.Interceptor, snapshots.Options, snapshots.Interceptor);
    }

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}

/// <summary>
/// The setup to add to the ActorSystem, and what it hands each plugin: the very DataOptions the plugins open their
/// connections with, and the interceptors (to observe that they run). A class, not a record: every public record
/// of this namespace is a journal type that must be bound to our serializer.
/// </summary>
public sealed class NodePersistenceSetup(
    Setup dataOptionsSetup,
    DataOptions journalOptions,
    ConnectionPragmaInterceptor journalInterceptor,
    DataOptions snapshotOptions,
    ConnectionPragmaInterceptor snapshotInterceptor)
{
    public Setup DataOptionsSetup { get; } = dataOptionsSetup;
    public DataOptions JournalOptions { get; } = journalOptions;
    public ConnectionPragmaInterceptor JournalInterceptor { get; } = journalInterceptor;
    public DataOptions SnapshotOptions { get; } = snapshotOptions;
    public ConnectionPragmaInterceptor SnapshotInterceptor { get; } = snapshotInterceptor;
}
