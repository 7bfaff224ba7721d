using DistStack.Actors.Hosting;
using DistStack.Actors.Persistence;
using DistStack.Host.CommandLine;
using DistStack.Host.Hosting;
using DistStack.Host.Http;
using DistStack.Host.Http.V1;
using DistStack.Host.Observability;
using DistStack.Host.Security;

// Before anything starts a thread (see NativeHeapLimits).
NativeHeapLimits.Apply();

if (args is [RestoreCommandLine.Verb, .. var restoreArgs])
    return await RestoreCommand.RunAsync(restoreArgs, Console.Out, Console.Error);

switch (NodeCommandLine.Parse(args, Environment.GetEnvironmentVariable))
{
    case CommandLineResult.ShowHelp help:
        Console.Out.Write(help.Text);
        return ExitCodes.Ok;
    case CommandLineResult.Refuse refuse:
        Console.Error.WriteLine(refuse.Message);
        return refuse.ExitCode;
    case CommandLineResult.Probe probe:
        return await HealthProbe.RunAsync(probe.Url, Console.Out, probe.CaPath);
    case CommandLineResult.RunNode { Options: var options }:
        RaftNodeSettings settings;
        try
        {
            settings = RaftNodeHosting.LoadSettings(options);
        }
        catch (NodeSettingsException e)
        {
            Console.Error.WriteLine($"cannot start node {options.NodeId}: {e.Message}");
            return ExitCodes.Usage;
        }
        try
        {
            DatabaseStartupCheck.Verify(settings);
        }
        catch (DatabaseStartupException e)
        {
            Console.Error.WriteLine($"cannot start node {options.NodeId}: {e.Message}");
            return ExitCodes.Failed;
        }

        HostSecurity security;
        try
        {
            security = HostSecurity.Load(options, settings);
        }
        catch (HostSecurityException e)
        {
            Console.Error.WriteLine($"cannot start node {options.NodeId}: {e.Message}");
            return ExitCodes.Usage;
        }

        RemoteBufferPool.UseSmallChunks();

        // Args = []: our flags are parsed above, not by ASP.NET's configuration (which would read --port itself).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.AddDistStackNode(options, settings, security);
        builder.Services.AddOpenApi();
        builder.Services.AddHostedService<NativeHeapTrimService>();

        var app = builder.Build();
        app.UseMetricsCollection();
        // After the metrics, so refused requests are counted too.
        app.UseTokenAuthentication(security.Tokens, security.Rules);
        app.MapStackEndpoints();
        app.MapStackApiV1();
        app.MapOpenApi(); // GET /openapi/v1.json
        app.MapStatusEndpoints();
        app.MapBackupEndpoints();
        app.MapMembershipEndpoints();
        app.MapOverviewEndpoints();
        app.MapDashboard();
        app.MapUnknownPaths();
        app.LogStartupAndShutdown(options, settings);
        try
        {
            await app.RunAsync();
        }
        catch (Exception e)
        {
            // Typically a port already in use (HTTP or Raft): one clear line, not an unhandled-exception abort.
            Console.Error.WriteLine($"node {options.NodeId} failed: {StartupFailure.Describe(e)}");
            return ExitCodes.Failed;
        }
        return RefusalWatch.ExitCode ?? ExitCodes.Ok;
    default:
        throw new InvalidOperationException("unhandled command line result");
}

/// <summary>Entry point; public so tests can reference the assembly's Program type.</summary>
public partial class Program;
