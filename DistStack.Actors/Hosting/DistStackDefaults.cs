using Akka.Configuration;

namespace DistStack.Actors.Hosting;

/// <summary>
/// hocon/diststack.conf, embedded into this assembly (like Akka modules' reference.conf) and used as the fallback
/// of every node's configuration, so a node runs with nothing but its id, the member list and a data directory.
/// </summary>
public static class DistStackDefaults
{
    public const string ResourceName = "DistStack.Actors.diststack.conf";

    private static readonly Lazy<Config> Loaded = new(() =>
    {
        using var stream = typeof(DistStackDefaults).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing from DistStack.Actors.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    });

    /// <summary>The whole file, rooted at "diststack".</summary>
    public static Config Config => Loaded.Value;
}
