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

    [PostgresFact]
    public void A_database_with_synchronous_commit_on_passes()
    {
        var settings = NodeSpecContext.NewSettings(NotTouched, 1, persistence: postgres.NodeDatabase("check_on"));

        DatabaseStartupCheck.Verify(settings);
    }

    [PostgresFact]
    public void A_database_with_synchronous_commit_off_is_refused()
    {
        var name = PostgresServer.NewDatabaseName("check_off");
        var connectionString = postgres.Server.CreateDatabase(name);
        using (var connection = new NpgsqlConnection(postgres.Server.ConnectionString("postgres")))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"ALTER DATABASE \"{name}\" SET synchronous_commit = off";
            command.ExecuteNonQuery();
        }
        var settings = NodeSpecContext.NewSettings(NotTouched, 1,
            persistence: PostgresPersistenceConfig.Hocon(connectionString));

        var refused = Assert.Throws<DatabaseStartupException>(() => DatabaseStartupCheck.Verify(settings));
        Assert.Contains("synchronous_commit = off", refused.Message);
    }
}
