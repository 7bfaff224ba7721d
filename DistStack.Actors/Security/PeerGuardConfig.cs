using Akka.Configuration;

namespace DistStack.Actors.Security;

/// <summary>
/// Puts the <see cref="PeerGuardedSerializer"/>s in place of Akka's json, akka-misc, akka-system-msg and
/// daemon-create serializers (same names, so Akka's bindings reach them; same identifiers, so every frame naming
/// those serializers is decoded by the guarded ones). Part of every node's config, whatever the transport.
/// </summary>
public static class PeerGuardConfig
{
    private const string Assembly = "DistStack.Actors";

    public static Config Config { get; } = ConfigurationFactory.ParseString($$"""
        akka.actor.serializers {
          json = "{{typeof(PeerGuardedJsonSerializer).FullName}}, {{Assembly}}"
          akka-misc = "{{typeof(PeerGuardedMiscSerializer).FullName}}, {{Assembly}}"
          akka-system-msg = "{{typeof(PeerGuardedSystemMessageSerializer).FullName}}, {{Assembly}}"
          daemon-create = "{{typeof(PeerGuardedDaemonCreateSerializer).FullName}}, {{Assembly}}"
        }
        """);
}
