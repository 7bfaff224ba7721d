using DistStack.Actors.Raft;

namespace DistStack.Tests.Core;

/// <summary>
/// The configuration records each member's peer address: the founders' (from the options every founder shares) in
/// the first change, a new member's with its addition; one address is never two members'.
/// </summary>
public sealed class MembershipAddressTests
{
    private static readonly Dictionary<int, string> Founders = new() { [1] = "h:1", [2] = "h:2", [3] = "h:3" };

    private static TestCluster Founded()
    {
        var cluster = new TestCluster(3, o => o with { MemberAddresses = Founders });
        cluster.Elect(1);
        return cluster;
    }

    [Fact]
    public void The_first_change_records_the_founders_addresses_and_the_new_members()
    {
        var cluster = Founded();
        cluster.StartBlank(4);
        Assert.False(cluster[1].Configuration.HasAddresses);

        Assert.IsType<ConfigurationChangeResult.Accepted>(cluster[1].ProposeConfigurationChange(ConfigurationChange.AddLearner(4, "h:4")));
        cluster.Stabilize();

        var expected = ClusterConfiguration.Of(1, 2, 3).AddLearner(4)
            .WithAddress(1, "h:1").WithAddress(2, "h:2").WithAddress(3, "h:3").WithAddress(4, "h:4");
        foreach (var id in new[] { 1, 2, 3, 4 }) Assert.Equal(expected, cluster[id].Configuration);

        // Removing a member drops its address with it.
        cluster.TickAll(1);
        Assert.IsType<ConfigurationChangeResult.Accepted>(cluster[1].ProposeConfigurationChange(ConfigurationChange.Remove(4)));
        cluster.Stabilize();
        Assert.Null(cluster[2].Configuration.AddressOf(4));
        Assert.Equal("h:3", cluster[2].Configuration.AddressOf(3));
    }

    [Fact]
    public void An_address_already_used_by_another_member_or_a_member_at_another_address_is_refused()
    {
        var cluster = Founded();
        cluster.StartBlank(4);

        Assert.Equal(ConfigurationRefusal.AddressInUse, Refusal(cluster[1], ConfigurationChange.AddLearner(4, "H:2")));
        Assert.Equal(ConfigurationRefusal.AddressInUse, Refusal(cluster[1], ConfigurationChange.AddLearner(2, "h:9")));
        Assert.Equal(ConfigurationRefusal.InvalidNodeId, Refusal(cluster[1], ConfigurationChange.AddLearner(4, "h 4")));
        Assert.False(cluster[1].Configuration.HasLearners);

        Assert.IsType<ConfigurationChangeResult.Accepted>(cluster[1].ProposeConfigurationChange(ConfigurationChange.AddLearner(4, "h:4")));
        cluster.Stabilize();
        // A retry of the same addition is unchanged; the same id at another address is not the same member.
        Assert.IsType<ConfigurationChangeResult.Unchanged>(cluster[1].ProposeConfigurationChange(ConfigurationChange.AddLearner(4, "h:4")));
        Assert.Equal(ConfigurationRefusal.AddressInUse, Refusal(cluster[1], ConfigurationChange.AddLearner(4, "h:5")));
    }

    [Fact]
    public void Configurations_with_addresses_round_trip_and_malformed_ones_are_refused()
    {
        var configuration = ClusterConfiguration.Of(1, 2).AddLearner(3).WithAddress(2, "b:2").WithAddress(3, "c:3");
        Assert.Equal(configuration, ClusterConfiguration.Decode(configuration.Encode()));
        Assert.NotEqual(configuration, configuration.WithAddress(3, "d:3"));

        // An address of a node that is not a member; an empty address; a space in one; ids out of order; a node to
        // promote that is not a learner; the promote count missing.
        Assert.False(ClusterConfiguration.TryDecode(Hex("fdffffff 01000000 01000000 00000000 01000000 02000000 03000000 623a32 00000000"), out _));
        Assert.False(ClusterConfiguration.TryDecode(Hex("fdffffff 01000000 01000000 00000000 01000000 01000000 00000000 00000000"), out _));
        Assert.False(ClusterConfiguration.TryDecode(Hex("fdffffff 01000000 01000000 00000000 01000000 01000000 03000000 622032 00000000"), out _));
        Assert.False(ClusterConfiguration.TryDecode(Hex("fdffffff 02000000 01000000 02000000 00000000 02000000 " +
                                                        "02000000 01000000 61 01000000 01000000 62 00000000"), out _));
        Assert.False(ClusterConfiguration.TryDecode(Hex("fdffffff 01000000 01000000 00000000 01000000 01000000 03000000 613a31 01000000 01000000"), out _));
        Assert.False(ClusterConfiguration.TryDecode(Hex("fdffffff 01000000 01000000 00000000 01000000 01000000 03000000 613a31"), out _));
        Assert.True(ClusterConfiguration.TryDecode(Hex("fdffffff 01000000 01000000 00000000 01000000 01000000 03000000 613a31 00000000"), out var valid));
        Assert.Equal("a:1", valid.AddressOf(1));
    }

    [Fact]
    public void A_learner_added_to_be_promoted_is_marked_in_the_log_and_asking_again_changes_only_the_mark()
    {
        var cluster = Founded();
        cluster.StartBlank(4);
        Assert.IsType<ConfigurationChangeResult.Accepted>(
            cluster[1].ProposeConfigurationChange(ConfigurationChange.AddLearner(4, "h:4", promoteWhenCaughtUp: true)));
        cluster.Stabilize();
        Assert.Equal(new[] { 4 }, cluster[2].Configuration.PromoteWhenCaughtUp.ToArray()); // every member knows it

        Assert.IsType<ConfigurationChangeResult.Unchanged>(
            cluster[1].ProposeConfigurationChange(ConfigurationChange.AddLearner(4, "h:4", promoteWhenCaughtUp: true)));
        Assert.IsType<ConfigurationChangeResult.Accepted>(
            cluster[1].ProposeConfigurationChange(ConfigurationChange.AddLearner(4, "h:4", promoteWhenCaughtUp: false)));
        cluster.Stabilize();
        Assert.Empty(cluster[2].Configuration.PromoteWhenCaughtUp);
        Assert.True(cluster[2].Configuration.IsLearner(4));
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", ""));

    private static ConfigurationRefusal Refusal(RaftCore core, ConfigurationChange change) =>
        Assert.IsType<ConfigurationChangeResult.Refused>(core.ProposeConfigurationChange(change)).Reason;
}
