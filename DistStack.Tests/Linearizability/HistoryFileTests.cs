namespace DistStack.Tests.Linearizability;

public sealed class HistoryFileTests
{
    [Fact]
    public void A_history_survives_a_round_trip_through_json_lines()
    {
        var history = new HistoryBuilder()
            .Create(1, 0, 1)
            .Push(1, "a,b \"quoted\"", 2, 3, 1)
            .PushUnknown(2, "u", 4)
            .PushFailed(2, "f", 5, 6)
            .Top(3, "a,b \"quoted\"", 7, 8)
            .Size(3, 1, 9, 10)
            .Pop(3, null, 11, 12).Ops;
        var path = Path.Combine(Path.GetTempPath(), $"history-{Guid.NewGuid():N}.jsonl");
        try
        {
            HistoryFile.Write(path, history);
            var back = HistoryFile.Read(path);
            Assert.Equal(history, back);
            Assert.Equal(LinearizabilityChecker.Check(history).Verdict, LinearizabilityChecker.Check(back).Verdict);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
