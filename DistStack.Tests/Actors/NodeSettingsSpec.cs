using Akka.Configuration;
using DistStack.Actors.Hosting;
using DistStack.Actors.Persistence;

namespace DistStack.Tests.NodeActors;

/// <summary>Settings come from HOCON with hocon/diststack.conf (embedded) as fallback; NodeConfig builds the rest.</summary>
public sealed class NodeSettingsSpec
{
    private static RaftNodeSettings Settings(string extra = "") => RaftNodeSettings.FromConfig(ConfigurationFactory.ParseString($$"""
        diststack {
          node-id = 2
          cluster = ["10.0.0.1:7001", "akka.tcp://diststack@10.0.0.2:7002", "http://10.0.0.3:7003"]
          data-dir = "/tmp/diststack-settings-spec"
          {{extra}}
        }
        """));

    [Fact]
    public void Defaults_come_from_the_embedded_diststack_conf()
    {
        var settings = Settings();
        Assert.Equal(TimeSpan.FromMilliseconds(50), settings.TickInterval);
        Assert.Equal(10, settings.ElectionTicks);
        Assert.Equal(2, settings.HeartbeatTicks);
        Assert.Equal("SQLite.MS", settings.ProviderName);
        Assert.Equal("Data Source=/tmp/diststack-settings-spec/journal.db", settings.JournalConnectionString);
        Assert.Equal("Data Source=/tmp/diststack-settings-spec/snapshots.db", settings.SnapshotConnectionString);
        Assert.Equal(["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"], settings.ConnectionPragmas);
        Assert.Equal(16, settings.MaxWritesInFlight);
        Assert.Equal(new PeerEndpoint(2, "10.0.0.2", 7002), settings.Self);
        Assert.Equal(3, settings.InitialConfiguration.Voters.Length);
        var options = settings.ToRaftOptions();
        Assert.Equal((2, settings.ClusterId, 10, 2), (options.NodeId, options.ClusterId, options.ElectionTicks, options.HeartbeatTicks));
    }

    [Theory]
    [InlineData("node-id = 4", "node-id")]
    [InlineData("raft.heartbeat-ticks = 10", "heartbeat-ticks")]
    [InlineData("max-frame-size = 100000", "max-frame-size")]
    [InlineData("clients.max-in-flight = 0", "max-in-flight")]
    public void Settings_that_cannot_work_are_refused_naming_the_key(string extra, string key)
    {
        var error = Assert.Throws<ArgumentException>(() => Settings(extra).Validate());
        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void The_node_config_has_remoting_cluster_without_downing_persistence_and_our_serializer()
    {
        var settings = Settings();
        var config = NodeConfig.Build(settings);

        Assert.Equal("10.0.0.2", config.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal(7002, config.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.True(config.GetByteSize("akka.remote.dot-netty.tcp.maximum-frame-size") >= settings.MaxBytesPerAppend + 64 * 1024);
        Assert.Equal(
            ["akka.tcp://diststack@10.0.0.1:7001", "akka.tcp://diststack@10.0.0.2:7002", "akka.tcp://diststack@10.0.0.3:7003"],
            config.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal("", config.GetString("akka.cluster.downing-provider-class"));
        Assert.False(config.GetBoolean("akka.cluster.run-coordinated-shutdown-when-down"));
        Assert.Equal(PersistencePlugins.JournalPluginId, config.GetString("akka.persistence.journal.plugin"));
        Assert.Equal(1, config.GetInt(PersistencePlugins.JournalPluginId + ".parallelism"));
        Assert.Equal(settings.JournalConnectionString, config.GetString(PersistencePlugins.JournalPluginId + ".connection-string"));
        Assert.Equal(settings.SnapshotConnectionString, config.GetString(PersistencePlugins.SnapshotPluginId + ".connection-string"));
        Assert.Equal("diststack", config.GetString(
            "akka.actor.serialization-bindings.\"DistStack.Actors.Persistence.EntryAppended, DistStack.Actors\""));
    }

    [Theory]
    [InlineData("", 50)]
    [InlineData("raft.tick-interval = 20ms", 20)]
    [InlineData("raft.tick-interval = 200ms", 50)]
    [InlineData("raft.tick-interval = 2ms", 10)]
    public void The_scheduler_ticks_with_raft_between_10_and_50_ms(string extra, int expectedMs)
    {
        // Every scheduler tick wakes a thread-pool worker even when nothing is due: no finer than a Raft tick needs.
        var config = NodeConfig.Build(Settings(extra));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), config.GetTimeSpan("akka.scheduler.tick-duration"));
    }

    [Fact]
    public void Remoting_keeps_a_long_handshake_and_a_prompt_transport_failure_detector()
    {
        var config = NodeConfig.Build(Settings())
            .WithFallback(ConfigurationFactory.FromResource<Akka.Remote.RemoteActorRefProvider>("Akka.Remote.Configuration.Remote.conf"));

        // What Akka.Remote itself derives: with dot-netty the connect timeout IS the handshake timeout. At 2 s,
        // handshakes slowed by start-up JIT timed out on one side only and left one-way black holes (chaos seeds
        // 202, 101, 870394).
        var protocol = new Akka.Remote.AkkaProtocolSettings(config);
        Assert.True(protocol.HandshakeTimeout >= TimeSpan.FromSeconds(10), $"handshake timeout {protocol.HandshakeTimeout}");

        // A connection whose far end stopped answering is dropped within seconds, not after the 120 s default.
        var detector = config.GetConfig("akka.remote.transport-failure-detector");
        Assert.True(detector.GetTimeSpan("acceptable-heartbeat-pause") <= TimeSpan.FromSeconds(15));
        Assert.True(detector.GetTimeSpan("acceptable-heartbeat-pause") >= TimeSpan.FromSeconds(8));
    }
}
