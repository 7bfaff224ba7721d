using System.Runtime.InteropServices;

namespace DistStack.Host.Hosting;

/// <summary>
/// Caps glibc's malloc arenas at two. By default glibc gives threads that allocate at the same time arenas of their
/// own, up to eight per core, and each arena keeps the memory freed into it; SQLite, the JIT and the runtime
/// allocate from whichever thread-pool thread they run on, so a node under load kept 16 arenas holding 33-37 MB of
/// which about half was in use. This is what <c>MALLOC_ARENA_MAX=2</c> does, set from inside so that every launcher
/// gets it; glibc fixes its arena limit only once more than eight arenas exist, so it must run first thing, before
/// the thread pool, Kestrel and Akka start their threads. The runtime has made a few arenas by then, which stay: a
/// node keeps 7 (26-30 MB) instead of 16 (docs/profiling.md). The environment variable, where an operator sets it,
/// caps them all and wins.
/// </summary>
internal static class NativeHeapLimits
{
    private const int ArenaMaxOption = -8; // M_ARENA_MAX in glibc's malloc.h
    private const int Arenas = 2;

    /// <summary>True when the cap was applied; false where there is no glibc (macOS, Windows, musl) or an operator set one.</summary>
    public static bool Applied { get; private set; }

    /// <summary>True where the process runs on glibc's malloc (what <see cref="Trim"/> needs).</summary>
    public static bool OnGlibc { get; private set; }

    /// <summary>What the startup line reports: the cap, an operator's own setting, or glibc's default.</summary>
    public static string ArenaSetting =>
        Applied ? $"capped at {Arenas}"
        : Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is { } set ? $"MALLOC_ARENA_MAX={set}"
        : "default";

    public static void Apply()
    {
        OnGlibc = OperatingSystem.IsLinux()
                  && NativeLibrary.TryLoad("libc.so.6", out var libc)
                  && NativeLibrary.TryGetExport(libc, "mallopt", out _)
                  && NativeLibrary.TryGetExport(libc, "malloc_trim", out _);
        if (!OnGlibc || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null) return;
        Applied = MallOpt(ArenaMaxOption, Arenas) == 1;
    }

    /// <summary>
    /// Hands the free memory inside every arena back to the kernel. glibc returns only the free space at an arena's
    /// top by itself; what a burst (a snapshot's blob through SQLite, a restart's replay) freed in the middle stays
    /// resident until the next burst reuses it. Called periodically by <see cref="NativeHeapTrimService"/>.
    /// </summary>
    public static void Trim()
    {
        if (OnGlibc) MallocTrim(0);
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int MallOpt(int option, int value);

    [DllImport("libc.so.6", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
