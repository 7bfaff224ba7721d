// A runnable tour of DistStack.Client against the Procfile's five nodes (scripts/run-cluster.sh), or the nodes
// named in DISTSTACK_NODES (comma-separated):  dotnet run --project samples/ClientSample
// Kill the leader while it runs (scripts/node.sh kill <id>): the pushes go on without an exception.
using DistStack.Client;

var nodes = (Environment.GetEnvironmentVariable("DISTSTACK_NODES") ?? "http://127.0.0.1:12380,http://127.0.0.1:22380,http://127.0.0.1:32380,http://127.0.0.1:42380,http://127.0.0.1:52380")
    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
    .Select(url => new Uri(url))
    .ToArray();

using var stacks = new DistStackClient(nodes);
const string stack = "sample";

Console.WriteLine(await stacks.CreateAsync(stack) ? $"created {stack}" : $"{stack} was already there");
for (var i = 0; i < 1_000; i++)
{
    // One logical operation each: retried across nodes with one Idempotency-Key, so it applies exactly once.
    await stacks.PushAsync(stack, $"value-{i}");
}
Console.WriteLine($"pushed 1,000 values one by one; size {await stacks.SizeAsync(stack)}");

var size = await stacks.PushManyAsync(stack, [.. Enumerable.Range(0, 100).Select(i => $"batch-{i}")]);
Console.WriteLine($"pushed 100 values in one log entry; size {size}");

var popped = await stacks.PopManyAsync(stack, 3);
Console.WriteLine($"popped {string.Join(", ", popped)}; top is now {await stacks.TopAsync(stack)}");

await foreach (var id in stacks.ListAsync()) Console.WriteLine($"stack: {id}");

try
{
    await stacks.PopAsync("no-such-stack");
}
catch (StackNotFoundException e)
{
    Console.WriteLine($"as expected: {e.Message}");
}

await stacks.DeleteAsync(stack);
Console.WriteLine($"deleted {stack}");
