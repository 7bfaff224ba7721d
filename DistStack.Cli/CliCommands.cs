using System.CommandLine;
using DistStack.Client;

namespace DistStack.Cli;

/// <summary>
/// The `diststack` commands. Every stack command is one DistStack.Client operation, so it retries across the nodes
/// with one Idempotency-Key and survives a failover. Exit codes: 0 done, 1 the cluster refused or did not answer
/// (the message says which; "outcome unknown" names the key to retry with), 2 bad usage.
/// </summary>
public static class CliCommands
{
    public static RootCommand Build(TextWriter output, TextWriter error, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var nodes = new Option<string[]>("--nodes", "-n")
        {
            Description = $"Node URLs, comma-separated (default: ${NodeList.EnvironmentVariable}, else the Procfile's 127.0.0.1:12380 ... 52380)",
            Recursive = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var deadline = new Option<TimeSpan>("--deadline")
        {
            Description = "How long one operation may take, retries included",
            Recursive = true,
            DefaultValueFactory = _ => TimeSpan.FromSeconds(30),
        };
        var token = new Option<string?>("--token")
        {
            Description = "Bearer token for nodes started with tokens (default: $DISTSTACK_TOKEN)",
            Recursive = true,
        };
        var root = new RootCommand("diststack: talk to a DistStack cluster (named stacks replicated with Raft)");
        root.Options.Add(nodes);
        root.Options.Add(deadline);
        root.Options.Add(token);

        DistStackClient Client(ParseResult parse)
        {
            var options = new DistStackClientOptions
            {
                Deadline = parse.GetValue(deadline),
                BearerToken = parse.GetValue(token) ?? environment("DISTSTACK_TOKEN"),
            };
            foreach (var node in NodeList.Resolve(parse.GetValue(nodes), environment)) options.Nodes.Add(node);
            return new DistStackClient(options);
        }

        Command StackCommand(string name, string description, Func<DistStackClient, string, ParseResult, CancellationToken, Task<string>> run,
            params Symbol[] extra)
        {
            var id = new Argument<string>("id") { Description = "Stack id: 1-128 of A-Z a-z 0-9 . _ -" };
            var command = new Command(name, description) { id };
            foreach (var symbol in extra)
            {
                if (symbol is Argument argument) command.Arguments.Add(argument);
                else if (symbol is Option option) command.Options.Add(option);
            }
            command.SetAction((parse, cancellationToken) => RunAsync(output, error, async () =>
            {
                using var client = Client(parse);
                return await run(client, parse.GetValue(id)!, parse, cancellationToken);
            }));
            return command;
        }

        root.Subcommands.Add(StackCommand("create", "Create a stack (prints created or exists)",
            async (c, id, _, ct) => await c.CreateAsync(id, ct) ? "created" : "exists"));
        root.Subcommands.Add(StackCommand("delete", "Delete a stack and its values",
            async (c, id, _, ct) => { await c.DeleteAsync(id, ct); return "deleted"; }));
        var values = new Argument<string[]>("values") { Description = "Values to push, in order (the last ends on top); several go in one log entry", Arity = ArgumentArity.OneOrMore };
        root.Subcommands.Add(StackCommand("push", "Push one or more values atomically (prints the new size)",
            async (c, id, parse, ct) => (await c.PushManyAsync(id, parse.GetValue(values)!, ct)).ToString(), values));
        var count = new Option<int>("--count", "-c") { Description = "How many values to pop (1 to 1,000)", DefaultValueFactory = _ => 1 };
        root.Subcommands.Add(StackCommand("pop", "Pop values, top first, one per line",
            async (c, id, parse, ct) => string.Join("\n", await c.PopManyAsync(id, parse.GetValue(count), ct)), count));
        root.Subcommands.Add(StackCommand("top", "Print the top value", async (c, id, _, ct) => await c.TopAsync(id, ct)));
        root.Subcommands.Add(StackCommand("size", "Print the number of values", async (c, id, _, ct) => (await c.SizeAsync(id, ct)).ToString()));

        var list = new Command("list", "Print every stack id, in ordinal order");
        list.SetAction((parse, cancellationToken) => RunAsync(output, error, async () =>
        {
            using var client = Client(parse);
            var ids = new List<string>();
            await foreach (var id in client.ListAsync(cancellationToken: cancellationToken)) ids.Add(id);
            return string.Join("\n", ids);
        }));
        root.Subcommands.Add(list);

        var status = new Command("status", "A table of every node: role, term, leader, commit, applied, digest, lag");
        status.SetAction((parse, cancellationToken) => RunAsync(output, error, async () =>
        {
            using var client = Client(parse);
            var results = await client.StatusOfAllAsync(cancellationToken);
            if (results.All(r => r.Status is null))
                throw new DistStackUnavailableException("no node answered:\n" + StatusTable.Status(results));
            return StatusTable.Status(results).TrimEnd('\n');
        }));
        root.Subcommands.Add(status);

        var members = new Command("members", "The members as the leader sees them: reachable, match index, last heard");
        members.SetAction((parse, cancellationToken) => RunAsync(output, error, async () =>
        {
            using var client = Client(parse);
            var results = await client.StatusOfAllAsync(cancellationToken);
            var answering = results.Where(r => r.Status is not null).Select(r => r.Status!).ToList();
            var view = answering.Where(s => s.Role == "leader").MaxBy(s => s.Term)
                       ?? answering.FirstOrDefault()
                       ?? throw new DistStackUnavailableException("no node answered");
            return StatusTable.Members(view).TrimEnd('\n');
        }));
        root.Subcommands.Add(members);

        var interval = new Option<TimeSpan>("--interval") { Description = "How often to ask every node", DefaultValueFactory = _ => TimeSpan.FromMilliseconds(500) };
        var duration = new Option<TimeSpan?>("--for") { Description = "Stop after this long (default: until Ctrl-C)" };
        var watch = new Command("watch", "Live status: one line per change of a node's availability, role, term or leader") { interval, duration };
        watch.SetAction(async (parse, cancellationToken) =>
        {
            using var client = Client(parse);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (parse.GetValue(duration) is { } limit) stop.CancelAfter(limit);
            var changes = new StatusWatch();
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var round = await client.StatusOfAllAsync(stop.Token);
                    foreach (var line in changes.Next(round)) await output.WriteLineAsync($"{DateTime.Now:HH:mm:ss.fff} {line}");
                    await output.FlushAsync(CancellationToken.None);
                    await Task.Delay(parse.GetValue(interval), stop.Token);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // --for elapsed or Ctrl-C: a normal end
            }
            return 0;
        });
        root.Subcommands.Add(watch);
        return root;
    }

    private static async Task<int> RunAsync(TextWriter output, TextWriter error, Func<Task<string>> run)
    {
        try
        {
            var text = await run();
            if (text.Length > 0) await output.WriteLineAsync(text);
            return 0;
        }
        catch (DistStackException e)
        {
            await error.WriteLineAsync(e.Message);
            return 1;
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync(e.Message);
            return 2;
        }
    }
}
