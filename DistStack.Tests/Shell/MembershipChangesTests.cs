using DistStack.Actors.Node;
using DistStack.Actors.Raft;
using DistStack.Actors.Shell;

namespace DistStack.Tests.Shell;

/// <summary>What the shell answers a membership change, and which learner a leader promotes, with no actor or clock.</summary>
public sealed class MembershipChangesTests
{
    private static readonly ClusterConfiguration WithLearners = ClusterConfiguration.Of(1, 2, 3).WithLearners(4, 5);

    [Fact]
    public void A_change_is_done_when_its_entry_commits_with_its_term_and_not_before()
    {
        var changes = new MembershipChanges<string>();
        changes.Wait(index: 10, term: 3, "client", answerBy: 100, "node 4 added as a learner");

        Assert.Empty(changes.Due(_ => null, WithLearners, now: 5)); // not committed yet, deadline not reached
        var due = Assert.Single(changes.Due(index => index <= 10 ? 3 : null, WithLearners, now: 6));
        Assert.Equal("client", due.Client);
        var done = Assert.IsType<MembershipReply.Done>(due.Reply);
        Assert.Equal("node 4 added as a learner", done.Detail);
        Assert.Equal(0, changes.WaitingCount);
    }

    [Fact]
    public void Another_term_committed_at_its_index_means_nothing_changed_and_a_deadline_means_unknown()
    {
        var changes = new MembershipChanges<string>();
        changes.Wait(10, 3, "overwritten", 100, "");
        changes.Wait(11, 3, "slow", 20, "");

        var due = changes.Due(index => index == 10 ? 4 : null, WithLearners, now: 19);
        Assert.IsType<MembershipReply.NotStarted>(Assert.Single(due, d => d.Client == "overwritten").Reply);
        Assert.DoesNotContain(due, d => d.Client == "slow");

        Assert.IsType<MembershipReply.OutcomeUnknown>(Assert.Single(changes.Due(_ => null, WithLearners, now: 20)).Reply);
        Assert.Equal(0, changes.WaitingCount);
    }

    [Fact]
    public void The_leader_promotes_the_first_caught_up_learner_the_configuration_marks_and_no_other()
    {
        Assert.Null(MembershipChanges<string>.LearnerToPromote(WithLearners, _ => true)); // no learner is marked

        var marked = WithLearners.WithPromoteWhenCaughtUp(5, true).WithPromoteWhenCaughtUp(4, true);
        Assert.Null(MembershipChanges<string>.LearnerToPromote(marked, _ => false)); // nobody caught up
        Assert.Equal(5, MembershipChanges<string>.LearnerToPromote(marked, id => id == 5));
        Assert.Equal(4, MembershipChanges<string>.LearnerToPromote(marked, _ => true));

        // Promoted or removed: no longer marked. A mark cleared (added again with "learner": true): stays a learner.
        Assert.Equal(new[] { 5 }, marked.Promote(4).PromoteWhenCaughtUp.ToArray());
        Assert.Empty(marked.Remove(4).Remove(5).PromoteWhenCaughtUp);
        Assert.Null(MembershipChanges<string>.LearnerToPromote(marked.WithPromoteWhenCaughtUp(4, false).WithPromoteWhenCaughtUp(5, false), _ => true));
    }
}
