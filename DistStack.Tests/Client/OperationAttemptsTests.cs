using DistStack.Client;

namespace DistStack.Tests.Client;

/// <summary>The retry decisions of one operation, on a hand-driven clock: which node next, how long to wait, and whether it may have applied.</summary>
public sealed class OperationAttemptsTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Now { get; set; } = 1_000_000;

        public override long GetTimestamp() => Now;

        public override long TimestampFrequency => 1_000; // milliseconds

        public void Advance(TimeSpan by) => Now += (long)by.TotalMilliseconds;
    }

    private static readonly Uri[] Three = [new("http://a:1/"), new("http://b:1/"), new("http://c:1/")];

    private static (OperationAttempts Attempts, ManualClock Clock) Start(int firstNode = 0)
    {
        var clock = new ManualClock();
        return (new OperationAttempts(Three, firstNode, "key", clock, TimeSpan.FromSeconds(1)), clock);
    }

    [Fact]
    public void A_503_moves_on_at_once_and_the_node_is_not_asked_again_before_its_Retry_After()
    {
        var (attempts, clock) = Start();
        Assert.Equal(Three[0], attempts.StartAttempt());
        attempts.NotStarted(TimeSpan.FromSeconds(5), "503");
        Assert.Equal(TimeSpan.Zero, attempts.DelayBeforeNextAttempt());
        Assert.Equal(Three[1], attempts.StartAttempt());
        attempts.NotStarted(TimeSpan.FromSeconds(5), "503");
        Assert.Equal(Three[2], attempts.StartAttempt());
        attempts.NotStarted(TimeSpan.FromSeconds(2), "503");

        // Every node rests: wait for the first whose Retry-After ends (c, in 2 s), then ask it.
        Assert.Equal(TimeSpan.FromSeconds(2), attempts.DelayBeforeNextAttempt());
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(Three[2], attempts.StartAttempt());
        Assert.False(attempts.MayHaveApplied);
    }

    [Fact]
    public void A_503_after_an_unknown_outcome_leaves_it_unknown()
    {
        var (attempts, _) = Start();
        attempts.StartAttempt();
        attempts.Unknown("504");
        attempts.StartAttempt();
        attempts.NotStarted(TimeSpan.FromSeconds(1), "503");
        Assert.True(attempts.MayHaveApplied);
    }

    [Fact]
    public void Unknown_outcomes_back_off_from_50_ms_doubling_to_the_maximum()
    {
        var (attempts, _) = Start();
        var delays = new List<double>();
        for (var i = 0; i < 7; i++)
        {
            attempts.StartAttempt();
            attempts.Unknown("connection lost");
            delays.Add(attempts.DelayBeforeNextAttempt().TotalMilliseconds);
        }
        Assert.Equal([50, 100, 200, 400, 800, 1000, 1000], delays);
    }

    [Fact]
    public void A_Retry_After_of_zero_still_rests_the_node_a_little() =>
        Assert.True(OperationAttempts.MinimumRest > TimeSpan.Zero);

    [Fact]
    public void The_first_attempt_goes_to_the_node_that_answered_last_time()
    {
        var (attempts, _) = Start(firstNode: 2);
        Assert.Equal(Three[2], attempts.StartAttempt());
        Assert.Equal(Three[0], attempts.StartAttempt());
    }
}
