using System.Data.Common;
using Akka.Actor;
using DistStack.Actors.Node;
using DistStack.Actors.Stacks;
using DistStack.Tests.Support;
using LinqToDB.Interceptors;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// The real journal (SQLite, and PostgreSQL in the subclass below), with a switch in its connection path (a linq2db interceptor handed to the plugin like
/// the pragma one) that makes opening a connection fail. A failed write answers the waiting client, the
/// supervised node restarts with backoff, recovers from the journal and serves again once the disk is back.
/// </summary>
public abstract class FailedJournalWriteSpec : RaftNodeSpecBase
{
    private readonly FailingDisk _disk;

    protected FailedJournalWriteSpec(ITestOutputHelper output, string? persistence) : this(new FailingDisk(), output, persistence) { }

    private FailedJournalWriteSpec(FailingDisk disk, ITestOutputHelper output, string? persistence)
        : base(NodeSpecContext.Create(journalInterceptors: [disk], persistence: persistence), output) => _disk = disk;

    public abstract Task A_failed_write_is_answered_and_the_node_recovers_from_its_journal();

    protected async Task FailedWriteIsAnsweredAndTheNodeRecovers()
    {
        var node = StartNode(RaftNode.SupervisedProps(Settings));
        await AwaitLeader(node);
        Assert.Equal(StackOutcome.Created, (await ExecuteOk(node, new CreateStack("c1", "s"))).Outcome);

        _disk.Failing = true;
        var reply = await Execute(node, new PushValue("p1", "s", "lost?"));
        _disk.Failing = false;

        // Answered by the node (not left to the Ask timeout), and not claimed as done.
        var unknown = Assert.IsType<OutcomeUnknown>(reply);
        Assert.Contains("journal", unknown.Reason);

        await AwaitLeader(node);
        // The failed write never reached the file, so the push was lost as a whole: the stack holds only the new value.
        Assert.Equal(1, (await ExecuteOk(node, new PushValue("p2", "s", "after"))).Size);
        Assert.Equal("after", (await QueryOk(node, new TopOfStack("s"))).Value);
        // The write that failed was never acknowledged, and the stack from before the failure survived the restart.
        Assert.Equal(StackOutcome.AlreadyExists, (await ExecuteOk(node, new CreateStack("c2", "s"))).Outcome);
    }

    private sealed class FailingDisk : IConnectionInterceptor
    {
        public volatile bool Failing;

        private void Check()
        {
            if (Failing) throw new IOException("injected: the journal disk is gone");
        }

        public void ConnectionOpening(ConnectionEventData eventData, DbConnection connection) => Check();

        public Task ConnectionOpeningAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
        {
            Check();
            return Task.CompletedTask;
        }

        public void ConnectionOpened(ConnectionEventData eventData, DbConnection connection) { }

        public Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken) =>
            Task.CompletedTask;
    }
}

public sealed class FailedJournalWriteOnSqliteSpec(ITestOutputHelper output) : FailedJournalWriteSpec(output, null)
{
    [Fact]
    public override Task A_failed_write_is_answered_and_the_node_recovers_from_its_journal() => FailedWriteIsAnsweredAndTheNodeRecovers();
}

[Collection(PostgresCollection.Name)]
public sealed class FailedJournalWriteOnPostgresSpec(ITestOutputHelper output, SharedPostgresServer postgres)
    : FailedJournalWriteSpec(output, postgres.NodeDatabase("failedwrite"))
{
    [PostgresFact]
    public override Task A_failed_write_is_answered_and_the_node_recovers_from_its_journal() => FailedWriteIsAnsweredAndTheNodeRecovers();
}
