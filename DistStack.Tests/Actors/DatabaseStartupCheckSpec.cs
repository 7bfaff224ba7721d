using DistStack.Actors.Persistence;
using DistStack.Tests.Support;
using Npgsql;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// The start-up check against a real PostgreSQL server: a durable database passes; one whose sessions run with
/// synchronous_commit off (set on the database, as an operator might for speed) is refused, saying what to change.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class DatabaseStartupCheckSpec(SharedPostgresServer postgres)
{
    // The check reads only the persistence settings; the data directory is never created.
    private static readonly string NotTouched = Path.Combine(Path.GetTempPath(), "diststack-tests", "startup-check-no-data");

    [Fact]
    public void A_PostgreSQL_config_that_kept_the_SQLite_pragmas_is_refused_saying_what_to_change()
    {
        var settings = NodeSpecContext.NewSettings(NotTouched, 1, persistence: """
            diststack.persistence {
              provider-name = "PostgreSQL.15"
              journal-connection-string = "Host=127.0.0.1;Port=1;Username=postgres;Database=node1"
              snapshot-connection-string = "Host=127.0.0.1;Port=1;Username=postgres;Database=node1"
            }
            """);

        var refused = Assert.Throws<DatabaseStartupException>(() => DatabaseStartupCheck.Verify(settings));
        Assert.Contains("connection-pragmas = []", refused.Message);
    }

    [PostgresFact]
    public void A_database_with_synchronous_commit_on_passes()
    {
        var settings = NodeSpecContext.NewSettings(NotTouched, 1, persistence: postgres.NodeDatabase("check_on"));

        DatabaseStartupCheck.Verify(settings);
    }

    [PostgresFact]
    public void A_database_with_synchronous_commit_off_is_refused()
    {
        var settings = NodeSpecContext.NewSettings(NotTouched, 1,
            persistence: PostgresPersistenceConfig.Hocon(DatabaseWithSynchronousCommitOff("check_off")));

        var refused = Assert.Throws<DatabaseStartupException>(() => DatabaseStartupCheck.Verify(settings));
        Assert.Contains("synchronous_commit = off", refused.Message);
    }

    [PostgresFact]
    public void The_connection_string_option_the_README_suggests_turns_synchronous_commit_back_on()
    {
        var connectionString = DatabaseWithSynchronousCommitOff("check_option") + ";Options=-c synchronous_commit=on";
        var settings = NodeSpecContext.NewSettings(NotTouched, 1, persistence: PostgresPersistenceConfig.Hocon(connectionString));

        DatabaseStartupCheck.Verify(settings);
    }

    /// <summary>A new database whose sessions default to synchronous_commit = off (ALTER DATABASE ... SET).</summary>
    private string DatabaseWithSynchronousCommitOff(string purpose)
    {
        var name = PostgresServer.NewDatabaseName(purpose);
        var connectionString = postgres.Server.CreateDatabase(name);
        using var connection = new NpgsqlConnection(postgres.Server.ConnectionString("postgres"));
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"ALTER DATABASE \"{name}\" SET synchronous_commit = off";
        command.ExecuteNonQuery();
        return connectionString;
    }
}
