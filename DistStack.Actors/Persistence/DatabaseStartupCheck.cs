using System.Data.Common;
using DistStack.Actors.Hosting;
using LinqToDB.Data;

namespace DistStack.Actors.Persistence;

/// <summary>
/// Before a node starts, a database server (anything but SQLite's local files) must be reachable and must commit
/// durably. Without this check an unreachable PostgreSQL made the SQL plugins retry forever, logging a stack trace
/// a second while the node never became ready; and a server with synchronous_commit or fsync off would acknowledge
/// Raft writes (votes, log entries) that a crash of the server then loses, breaking Raft's safety.
/// </summary>
public static class DatabaseStartupCheck
{
    /// <summary>Throws <see cref="DatabaseStartupException"/> with a one-line reason if the node must not start.</summary>
    public static void Verify(RaftNodeSettings settings)
    {
        if (settings.ProviderName.StartsWith("SQLite", StringComparison.OrdinalIgnoreCase)) return;
        // The default connection-pragmas are SQLite's: a PostgreSQL config that keeps them would fail every
        // connection with a syntax error. Say what to change instead.
        if (settings.ConnectionPragmas.FirstOrDefault(p => p.TrimStart().StartsWith("PRAGMA", StringComparison.OrdinalIgnoreCase)) is { } pragma)
            throw new DatabaseStartupException(
                $"diststack.persistence.connection-pragmas holds SQLite's \"{pragma}\" but the provider is {settings.ProviderName}: " +
                "set connection-pragmas = [] for it");
        Check(settings, "journal", settings.JournalConnectionString);
        if (settings.SnapshotConnectionString != settings.JournalConnectionString)
            Check(settings, "snapshot", settings.SnapshotConnectionString);
    }

    private static void Check(RaftNodeSettings settings, string which, string connectionString)
    {
        var where = $"{settings.ProviderName}, {WithoutSecrets(connectionString)}";
        DataConnection connection;
        try
        {
            connection = new DataConnection(PersistencePlugins.DataOptionsFor(settings, connectionString).Options);
            connection.Execute<int>("SELECT 1"); // opens the connection (and runs the configured connection-pragmas)
        }
        catch (Exception e)
        {
            throw new DatabaseStartupException($"the {which} database is unreachable ({where}): {Describe(e)}", e);
        }
        try
        {
            if (!settings.ProviderName.StartsWith("PostgreSQL", StringComparison.OrdinalIgnoreCase)) return;
            // fsync is the server's own setting; synchronous_commit may be set per server, database, role or session.
            if (IsOff(connection.Execute<string>("SHOW fsync")))
                throw new DatabaseStartupException(
                    $"the {which} database ({where}) runs with fsync = off: acknowledged Raft writes could be lost in a crash; " +
                    "set fsync = on in the server's configuration");
            if (IsOff(connection.Execute<string>("SHOW synchronous_commit")))
                throw new DatabaseStartupException(
                    $"the {which} database ({where}) runs with synchronous_commit = off: acknowledged Raft writes could be lost " +
                    "in a crash; set it on (server, database or role) or add 'Options=-c synchronous_commit=on' to the connection string");
        }
        catch (DatabaseStartupException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new DatabaseStartupException($"the {which} database ({where}) could not report its durability settings: {Describe(e)}", e);
        }
        finally
        {
            connection.Dispose();
        }
    }

    private static bool IsOff(string value) => string.Equals(value, "off", StringComparison.OrdinalIgnoreCase);

    /// <summary>The connection string as the operator wrote it, minus passwords (it goes to a log).</summary>
    private static string WithoutSecrets(string connectionString)
    {
        try
        {
            var builder = new DbConnectionStringBuilder { ConnectionString = connectionString };
            foreach (var key in builder.Keys.Cast<string>().Where(k => k.Contains("password", StringComparison.OrdinalIgnoreCase) ||
                                                                         k.Equals("pwd", StringComparison.OrdinalIgnoreCase)).ToList())
                builder[key] = "***";
            return builder.ConnectionString;
        }
        catch (ArgumentException)
        {
            return "(connection string not shown: it does not parse)";
        }
    }

    /// <summary>Every distinct message down the inner-exception chain, on one line.</summary>
    private static string Describe(Exception exception)
    {
        var messages = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            var message = e.Message.ReplaceLineEndings(" ").Trim();
            if (message.Length > 0 && !messages.Any(m => m.Contains(message, StringComparison.Ordinal))) messages.Add(message);
        }
        return string.Join(" <- ", messages);
    }
}

/// <summary>The node's database cannot be used; the message is one line saying why.</summary>
public sealed class DatabaseStartupException(string message, Exception? inner = null) : Exception(message, inner);
