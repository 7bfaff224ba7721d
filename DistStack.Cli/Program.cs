using DistStack.Cli;

return await CliCommands.Build(Console.Out, Console.Error).Parse(args).InvokeAsync();
