namespace DistStack.Tests.Support;

/// <summary>
/// The node specs that run on PostgreSQL share one server (started on first use, stopped after the collection);
/// each spec gets its own database. Starting a server costs a few seconds, so one per collection, not per test.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<SharedPostgresServer>
{
    public const string Name = "PostgreSQL node specs";
}

/// <summary>A <see cref="PostgresServer"/> started on first use: skipped tests never start one.</summary>
public sealed class SharedPostgresServer : IDisposable
{
    private readonly Lazy<PostgresServer> _server = new(PostgresServer.Start);

    public PostgresServer Server => _server.Value;

    /// <summary>A new database for one node, as the diststack.persistence section that points the node at it.</summary>
    public string NodeDatabase(string purpose) =>
        PostgresPersistenceConfig.Hocon(Server.CreateDatabase(PostgresServer.NewDatabaseName(purpose)));

    public void Dispose()
    {
        if (_server.IsValueCreated) _server.Value.Dispose();
    }
}
