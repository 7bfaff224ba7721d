namespace DistStack.Tests.Support;

/// <summary>
/// The diststack.persistence section that puts a node's journal and snapshots in one PostgreSQL database: what an
/// operator writes in a --config file (README, "PostgreSQL"), used verbatim by the tests.
/// </summary>
public static class PostgresPersistenceConfig
{
    public const string ProviderName = "PostgreSQL.15";

    public static string Hocon(string connectionString) => $$"""
        diststack.persistence {
          provider-name = "{{ProviderName}}"
          journal-connection-string = {{Quote(connectionString)}}
          snapshot-connection-string = {{Quote(connectionString)}}
          # SQLite's PRAGMAs mean nothing to PostgreSQL: durability is the server's fsync and synchronous_commit.
          connection-pragmas = []
        }
        """;

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
