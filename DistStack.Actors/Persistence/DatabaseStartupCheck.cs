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
        Check(settings, "journal", settings.JournalConnectionString);
        if (settings.SnapshotConnectionString != settings.JournalConnectionString)
            Check(settings, "snapshot", settings.SnapshotConnectionString);
    }

    private static void Check(RaftNodeSettings settings, string which, string connectionString)
    {
        var where = $"{settings.ProviderName}, {WithoutSecrets(connectionString)}";
        try
        {
            using var connection = new DataConnection(PersistencePlugins.DataOptionsFor(settings, connectionString).Options);
            connection.Execute<int>("SELECT 1");
            if (!settings.ProviderName.StartsWith("PostgreSQL", StringComparison.OrdinalIgnoreCase)) return;
            foreach (var setting in new[] { "fsync", "synchronous_commit" })
            {
                var value = connection.Execute<string>("SHOW " + setting);
                if (string.Equals(value, "off", StringComparison.OrdinalIgnoreCase))
                    throw new DatabaseStartupException(
                        $"the {which} database ({where}) runs with {setting} = off: acknowledged Raft writes could be lost " +
                        $"in a crash; set {setting} = on (server, database or role) or add 'Options=-c {setting}=on' to the connection string");
            }
        }
        catch (DatabaseStartupException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw new DatabaseStartupException($"the {which} database is unreachable ({where}): {Describe(e)}", e);
        }
    }

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
