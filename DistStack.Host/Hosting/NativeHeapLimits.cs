using System.Runtime.InteropServices;

namespace DistStack.Host.Hosting;

/// <summary>
/// Caps glibc's malloc arenas at two. By default glibc gives threads that allocate at the same time arenas of their
/// own, up to eight per core, and each arena keeps the memory freed into it; SQLite, the JIT and the runtime
/// allocate from whichever thread-pool thread they run on, so a node kept ~16 arenas holding ~40 MB of which less
/// than half was in use. With two, a node's peak resident set after the benchmark's sequence fell by 35-50 MiB
/// (docs/profiling.md). This is what <c>MALLOC_ARENA_MAX=2</c> does, set from inside so that every launcher gets it.
/// glibc fixes its arena limit only once more than eight arenas exist, so this must run first thing, before the
/// thread pool, Kestrel and Akka start their threads; arenas made before it stay.
/// </summary>
internal static class NativeHeapLimits
{
    private const int ArenaMaxOption = -8; // M_ARENA_MAX in glibc's malloc.h
    private const int Arenas = 2;

    /// <summary>True when the cap was applied; false where there is no glibc (macOS, Windows, musl) or an operator set one.</summary>
    public static bool Applied { get; private set; }

    public static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null) return;
        try
        {
            Applied = MallOpt(ArenaMaxOption, Arenas) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc: nothing to cap.
        }
    }

    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int MallOpt(int option, int value);
}
