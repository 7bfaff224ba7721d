using DistStack.Actors.Stacks;
using DistStack.Tests.Support;
using LinqToDB.Data;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// A node pointed at an empty PostgreSQL database creates its tables on first start (the plugins' auto-initialize),
/// runs no SQLite pragma, and its connections, opened with the very options the plugins use, commit durably:
/// fsync and synchronous_commit on (a commit returns only once its WAL record is flushed).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDurabilitySpec(ITestOutputHelper output, SharedPostgresServer postgres)
    : RaftNodeSpecBase(NodeSpecContext.Create(persistence: postgres.NodeDatabase("durability")), output)
{
    [PostgresFact]
    public async Task An_empty_database_gets_its_tables_and_commits_are_flushed()
    {
        Assert.Empty(Settings.ConnectionPragmas);
        Assert.Equal(PostgresPersistenceConfig.ProviderName, Settings.ProviderName);

        var node = StartNode();
        await AwaitLeader(node);
        Assert.Equal(StackOutcome.Created, (await ExecuteOk(node, new CreateStack("c", "s"))).Outcome);
        Assert.True(JournalRows() >= 1);

        foreach (var options in new[] { NodeContext.Persistence.JournalOptions, NodeContext.Persistence.SnapshotOptions })
        {
            using var connection = new DataConnection(options);
            var tables = connection.Query<string>(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1").ToList();
            Assert.Contains("journal", tables);
            Assert.Contains("snapshot", tables);
            Assert.Equal("on", connection.Execute<string>("SHOW fsync"));
            Assert.Equal("on", connection.Execute<string>("SHOW synchronous_commit"));
        }
        Assert.Empty(NodeContext.Persistence.JournalInterceptor.Statements);
    }
}
