namespace DistStack.Host.CommandLine;

/// <summary>What the command line asks for: run a node, print help, probe a URL, or refuse with a message.</summary>
public abstract record CommandLineResult
{
    private protected CommandLineResult() { }

    public sealed record RunNode(NodeOptions Options) : CommandLineResult;

    public sealed record ShowHelp(string Text) : CommandLineResult;

    /// <summary>
    /// GET <paramref name="Url"/> and exit 0 on 200, else 1 (Docker HEALTHCHECK: the aspnet image has no curl). An https://
    /// URL is trusted if its certificate chains to <paramref name="CaPath"/> (when given) or to the system's roots.
    /// </summary>
    public sealed record Probe(Uri Url, string? CaPath = null) : CommandLineResult;

    public sealed record Refuse(string Message, int ExitCode) : CommandLineResult;
}

public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The node could not start or stopped on an error (e.g. a port in use); stderr says why.</summary>
    public const int Failed = 1;
    public const int ProbeFailed = 1;
    /// <summary>Bad or missing flags, like most Unix tools.</summary>
    public const int Usage = 2;
    // 3 was "not implemented" (--join, before membership changes existed); not reused, so scripts that test for it
    // do not misread another failure.
    /// <summary>The node's data directory cannot be trusted (another node's, or its journal was lost); stderr says why.</summary>
    public const int RefusedToStart = 4;
}
