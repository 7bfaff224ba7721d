using System.Data.Common;
using LinqToDB.Interceptors;

namespace DistStack.Actors.Persistence;

/// <summary>
/// Runs the configured statements (for SQLite: journal_mode=WAL, synchronous=FULL) on EVERY connection that
/// linq2db opens for the journal or the snapshot store. synchronous is a per-connection setting and
/// Microsoft.Data.Sqlite has no connection-string keyword for it, so the only place that sees every connection
/// the plugin opens is linq2db's connection interceptor, handed to the plugin through its DataOptions setup.
/// </summary>
public sealed class ConnectionPragmaInterceptor(IReadOnlyList<string> statements) : IConnectionInterceptor
{
    private long _connectionsPrepared;

    public IReadOnlyList<string> Statements { get; } = statements;

    /// <summary>How many opened connections ran the statements: proves the plugin's connections came through here.</summary>
    public long ConnectionsPrepared => Interlocked.Read(ref _connectionsPrepared);

    public void ConnectionOpening(ConnectionEventData eventData, DbConnection connection) { }

    public Task ConnectionOpeningAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken) =>
        Task.CompletedTask;

    public void ConnectionOpened(ConnectionEventData eventData, DbConnection connection)
    {
        foreach (var statement in Statements)
        {
            using var command = connection.CreateCommand();
            command.CommandText = statement;
            command.ExecuteNonQuery();
        }
        Interlocked.Increment(ref _connectionsPrepared);
    }

    public async Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
    {
        foreach (var statement in Statements)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = statement;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        Interlocked.Increment(ref _connectionsPrepared);
    }
}
