using DistStack.Actors.Raft;

namespace DistStack.Tests.Core;

/// <summary>The configuration's encoding in a log entry: the old one unchanged, the one with learners distinct from it.</summary>
public sealed class ClusterConfigurationTests
{
    [Fact]
    public void Without_learners_the_encoding_is_the_original_one()
    {
        Assert.Equal(Convert.FromHexString("03000000" + "01000000" + "02000000" + "05000000"),
            ClusterConfiguration.Of(5, 1, 2).Encode());
    }

    [Fact]
    public void With_learners_the_encoding_starts_with_a_marker_no_voter_count_can_be()
    {
        var configuration = ClusterConfiguration.Of(1, 2, 3).WithLearners(7, 4);
        var bytes = configuration.Encode();
        Assert.Equal(Convert.FromHexString("feffffff" + "03000000" + "01000000" + "02000000" + "03000000" + "02000000" + "04000000" + "07000000"), bytes);
        Assert.Equal(configuration, ClusterConfiguration.Decode(bytes));
        Assert.Equal(new[] { 4, 7 }, ClusterConfiguration.Decode(bytes).Learners.ToArray());
    }

    [Theory]
    [InlineData("feffffff 01000000 01000000")] // the learners' count is missing
    [InlineData("feffffff 01000000 01000000 00000000")] // with learners there is at least one
    [InlineData("feffffff 01000000 01000000 01000000 01000000")] // a voter that is also a learner
    [InlineData("feffffff 01000000 01000000 02000000 05000000 04000000")] // learners out of order
    [InlineData("feffffff 01000000 01000000 01000000 02000000 00")] // trailing byte
    [InlineData("feffffff 00000000 01000000 02000000")] // no voter
    public void Malformed_configurations_with_learners_are_refused(string hex)
    {
        Assert.False(ClusterConfiguration.TryDecode(Convert.FromHexString(hex.Replace(" ", "")), out _));
    }

    [Fact]
    public void Changes_keep_voters_and_learners_sorted_and_disjoint()
    {
        var configuration = ClusterConfiguration.Of(1, 2, 3).AddLearner(5).AddLearner(4);
        Assert.Equal(new[] { 4, 5 }, configuration.Learners.ToArray());
        var promoted = configuration.Promote(4);
        Assert.Equal(new[] { 1, 2, 3, 4 }, promoted.Voters.ToArray());
        Assert.Equal(new[] { 5 }, promoted.Learners.ToArray());
        Assert.Equal(3, promoted.QuorumSize);
        var removed = promoted.Remove(2).Remove(5);
        Assert.Equal(ClusterConfiguration.Of(1, 3, 4), removed);
        Assert.False(removed.HasLearners);
        Assert.Equal(ClusterConfiguration.Of(1, 3, 4).Encode(), removed.Encode());
    }
}
