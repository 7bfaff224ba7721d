using Akka.Actor;
using Akka.DependencyInjection;
using Akka.Dispatch;
using Akka.Event;
using MsLogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace DistStack.Host.Hosting;

/// <summary>
/// Akka's log events into Microsoft.Extensions.Logging as one short line each: the category is the logging
/// class, the line is the message (Akka's own "[INFO][date][thread][source]" prefix would repeat what the
/// console formatter already prints). Registered with <c>ConfigureLoggers(l => l.AddLogger&lt;AkkaLogBridge&gt;())</c>.
/// </summary>
public sealed class AkkaLogBridge : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly ILoggerFactory _factory;
    private readonly Dictionary<string, ILogger> _loggers = new(StringComparer.Ordinal);

    public AkkaLogBridge()
    {
        _factory = DependencyResolver.For(Context.System).Resolver.GetService<ILoggerFactory>();
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Log);
    }

    private void Log(LogEvent e)
    {
        var level = e.LogLevel() switch
        {
            Akka.Event.LogLevel.DebugLevel => MsLogLevel.Debug,
            Akka.Event.LogLevel.InfoLevel => MsLogLevel.Information,
            Akka.Event.LogLevel.WarningLevel => MsLogLevel.Warning,
            _ => MsLogLevel.Error,
        };
        var logger = LoggerFor(CategoryOf(e));
        if (!logger.IsEnabled(level)) return;
        logger.Log(level, e.Cause, "{Message}", e.Message?.ToString());
    }

    // Akka's own subsystems log with a string source ("remoting (akka://diststack)", "Cluster (akka://...)")
    // and a placeholder class: name them Akka.<first word of the source> instead.
    private static string CategoryOf(LogEvent e)
    {
        if (e.LogClass is { } type && type != typeof(DummyClassForStringSources)) return type.FullName ?? type.Name;
        var source = e.LogSource ?? "";
        var end = source.IndexOfAny([' ', '(', '[']);
        var word = (end < 0 ? source : source[..end]).Trim();
        return word.Length == 0 ? "Akka" : "Akka." + word;
    }

    private ILogger LoggerFor(string category)
    {
        if (!_loggers.TryGetValue(category, out var logger))
        {
            logger = _factory.CreateLogger(category);
            _loggers[category] = logger;
        }
        return logger;
    }
}
