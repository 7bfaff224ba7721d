using Akka.Actor;
using Akka.Persistence;
using DistStack.Actors.Persistence;
using LinqToDB.Data;
using Xunit.Abstractions;

namespace DistStack.Tests.NodeActors;

/// <summary>
/// The SQLite journal and snapshot store run with journal_mode=WAL and synchronous=FULL on every connection the
/// plugins open. Checked through the plugins' own path: the DataOptions handed to them by the setup (the
/// interceptor must have prepared the connections they opened) and a connection opened with those same options.
/// </summary>
public sealed class SqliteDurabilitySpec : Akka.TestKit.Xunit2.TestKit
{
    private readonly NodeSpecContext _context;

    public SqliteDurabilitySpec(ITestOutputHelper output) : this(NodeSpecContext.Create(), output) { }

    private SqliteDurabilitySpec(NodeSpecContext context, ITestOutputHelper output)
        : base(context.Setup, "diststack", output) => _context = context;

    [Fact]
    public void Journal_and_snapshot_connections_run_with_wal_and_synchronous_full()
    {
        var writer = Sys.ActorOf(Props.Create(() => new EventWriter("pragma-check")));
        writer.Tell("first");
        ExpectMsg("persisted:first", TimeSpan.FromSeconds(10));
        writer.Tell("snapshot");
        ExpectMsg("snapshot-saved", TimeSpan.FromSeconds(10));

        Assert.True(_context.Persistence.JournalInterceptor.ConnectionsPrepared > 0,
            "the journal plugin opened no connection through the pragma interceptor");
        Assert.True(_context.Persistence.SnapshotInterceptor.ConnectionsPrepared > 0,
            "the snapshot plugin opened no connection through the pragma interceptor");

        foreach (var (options, file) in new[]
                 {
                     (_context.Persistence.JournalOptions, "journal.db"),
                     (_context.Persistence.SnapshotOptions, "snapshots.db"),
                 })
        {
            Assert.True(File.Exists(Path.Combine(_context.DataDirectory, file)), $"{file} is not in the data directory");
            using var connection = new DataConnection(options);
            Assert.Equal("wal", connection.Execute<string>("PRAGMA journal_mode").ToLowerInvariant());
            Assert.Equal(2L, connection.Execute<long>("PRAGMA synchronous")); // 2 = FULL
        }
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        _context.Dispose();
    }

    private sealed class EventWriter : ReceivePersistentActor
    {
        private readonly List<string> _events = [];
        private IActorRef? _snapshotRequester;

        public EventWriter(string persistenceId)
        {
            PersistenceId = persistenceId;
            Recover<string>(e => _events.Add(e));
            Command<string>(c => c == "snapshot", _ =>
            {
                _snapshotRequester = Sender;
                SaveSnapshot(_events.ToArray());
            });
            Command<SaveSnapshotSuccess>(_ => _snapshotRequester?.Tell("snapshot-saved"));
            Command<string>(c => Persist(c, e =>
            {
                _events.Add(e);
                Sender.Tell("persisted:" + e);
            }));
        }

        public override string PersistenceId { get; }
    }
}
