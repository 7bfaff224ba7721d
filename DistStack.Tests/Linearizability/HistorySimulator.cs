namespace DistStack.Tests.Linearizability;

/// <summary>
/// Generates linearizable histories by construction: concurrent clients issue ops with random latencies, each
/// op takes effect at a random point inside its interval, and outputs come from applying ops to a plain list
/// in the order of those points. Some ops end with an unknown outcome (applied or not).
/// </summary>
internal static class HistorySimulator
{
    public static List<HistoryOp> Generate(int seed, int clients, int opsPerClient, string stack = "s", double unknownRate = 0.02, int maxLatency = 50)
    {
        var random = new Random(seed);
        var planned = new List<(int Client, StackOpKind Kind, string? Value, long Invoked, long Point, long Completed, bool Unknown, bool Applies)>();
        var valueCounter = 0;
        for (var c = 0; c < clients; c++)
        {
            long t = 10 + random.Next(maxLatency);
            for (var i = 0; i < opsPerClient; i++)
            {
                var roll = random.Next(100);
                var kind = roll < 45 ? StackOpKind.Push : roll < 75 ? StackOpKind.Pop : roll < 88 ? StackOpKind.Top : roll < 97 ? StackOpKind.Size : StackOpKind.Exists;
                var invoked = t;
                var point = invoked + 1 + random.Next(maxLatency);
                var completed = point + 1 + random.Next(maxLatency);
                var unknown = random.NextDouble() < unknownRate;
                var applies = !unknown || random.Next(2) == 0;
                if (unknown && applies)
                {
                    point += random.Next(20 * maxLatency); // an unknown op may land much later
                }

                planned.Add((c + 1, kind, kind == StackOpKind.Push ? $"v{++valueCounter}" : null, invoked, point, completed, unknown, applies));
                // A client that saw a timeout moves on; its next call starts after the (local) deadline.
                t = completed + 1 + random.Next(maxLatency / 2 + 1);
            }
        }

        var ops = new List<HistoryOp> { new(0, 0, stack, StackOpKind.Create, null, 0, 5, OpStatus.Ok, StackOpResult.Created) };
        var contents = new List<string>();
        var id = 1;
        foreach (var p in planned.OrderBy(p => p.Point).ThenBy(p => p.Client))
        {
            StackOpResult result = p.Kind switch
            {
                StackOpKind.Push => StackOpResult.WithSize(contents.Count + 1),
                StackOpKind.Pop or StackOpKind.Top => contents.Count == 0 ? StackOpResult.Empty : StackOpResult.WithValue(contents[^1]),
                StackOpKind.Size => StackOpResult.WithSize(contents.Count),
                _ => StackOpResult.OkResult,
            };
            if (p.Applies)
            {
                if (p.Kind == StackOpKind.Push)
                {
                    contents.Add(p.Value!);
                }
                else if (p.Kind == StackOpKind.Pop && contents.Count > 0)
                {
                    contents.RemoveAt(contents.Count - 1);
                }
            }

            ops.Add(p.Unknown
                ? new HistoryOp(id++, p.Client, stack, p.Kind, p.Value, p.Invoked, null, OpStatus.Unknown, null)
                : new HistoryOp(id++, p.Client, stack, p.Kind, p.Value, p.Invoked, p.Completed, OpStatus.Ok, result));
        }

        // Drain, sequentially, after everything.
        var end = planned.Max(p => Math.Max(p.Point, p.Completed)) + 10;
        for (var i = contents.Count - 1; i >= -1; i--)
        {
            ops.Add(new HistoryOp(id++, 99, stack, StackOpKind.Pop, null, end, end + 1, OpStatus.Ok, i >= 0 ? StackOpResult.WithValue(contents[i]) : StackOpResult.Empty));
            end += 2;
        }

        return ops.OrderBy(o => o.InvokedAt).ThenBy(o => o.Id).ToList();
    }
}
