namespace DistStack.Host.Hosting;

/// <summary>Turns the exception that stopped a node into one line: every distinct message down the inner chain.</summary>
public static class StartupFailure
{
    public static string Describe(Exception exception)
    {
        var messages = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            var message = e.Message.Trim();
            if (message.Length > 0 && !messages.Any(m => m.Contains(message, StringComparison.Ordinal))) messages.Add(message);
        }
        return string.Join(" <- ", messages);
    }
}
