using Akka.Configuration;

namespace DistStack.Host.CommandLine;

/// <summary>The host's hocon layers: the built-in <c>host-defaults.conf</c> under an optional user file.</summary>
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

    /// <summary>The user's file (if any) over the built-in defaults. Throws if the file cannot be read or parsed.</summary>
    public static Config Load(string? userFile) =>
        userFile is null ? BuiltIn : UserConfig(userFile).WithFallback(BuiltIn);

    public static Config UserConfig(string userFile) => ConfigurationFactory.ParseString(File.ReadAllText(userFile));
}
