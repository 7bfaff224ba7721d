using Akka.Configuration;

namespace DistStack.Host.CommandLine;

/// <summary>The host's hocon layers: the built-in <c>host-defaults.conf</c> (the host's own flags) under the user's --config file.</summary>
public static class HostConfigFiles
{
    private const string ResourceName = "DistStack.Host.host-defaults.conf";

    public static Config BuiltIn
    {
        get
        {
            using var stream = typeof(HostConfigFiles).Assembly.GetManifestResourceStream(ResourceName)
                ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing");
            using var reader = new StreamReader(stream);
            return ConfigurationFactory.ParseString(reader.ReadToEnd());
        }
    }

    /// <summary>The user's config over the host's defaults.</summary>
    public static Config WithDefaults(Config userConfig) => userConfig.IsEmpty ? BuiltIn : userConfig.WithFallback(BuiltIn);

    /// <summary>Reads and parses the user's file; throws if it cannot be read or parsed. Called once per process.</summary>
    public static Config Read(string userFile) => ConfigurationFactory.ParseString(File.ReadAllText(userFile));
}
