using DistStack.Cli;
using DistStack.Client;

namespace DistStack.Tests.Cli;

public sealed class StatusWatchTests
{
    [Fact]
    public void Watch_prints_a_line_only_when_availability_role_term_or_leader_changes()
    {
        var watch = new StatusWatch();
        var node = new Uri("http://127.0.0.1:1");
        NodeStatusResult Status(string role, long term, int? leader) =>
            new(node, new ClusterStatus(1, "c", role, term, leader, 5, 5, 5, 0, "d", []), null);

        Assert.Single(watch.Next([Status("follower", 1, 2)]));
        Assert.Empty(watch.Next([Status("follower", 1, 2)]));
        Assert.Equal(["127.0.0.1:1: node 1 leader, term 2, leader 1 (was node 1 follower, term 1, leader 2)"], watch.Next([Status("leader", 2, 1)]));
        Assert.Equal(["127.0.0.1:1: down (was node 1 leader, term 2, leader 1)"], watch.Next([new NodeStatusResult(node, null, "refused")]));
    }
}
