using System.Runtime.InteropServices;

namespace DistStack.Tests.Support;

public sealed partial class NodeProcess
{
    /// <summary>POSIX signals via libc kill(2): .NET can SIGKILL a process, but not SIGTERM, SIGSTOP or SIGCONT it.</summary>
    internal static class Signals
    {
        public const int Term = 15;
        public static int Stop => OperatingSystem.IsMacOS() ? 17 : 19;
        public static int Cont => OperatingSystem.IsMacOS() ? 19 : 18;

        public static void Send(int pid, int signal)
        {
            if (kill(pid, signal) != 0)
                throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int sig);
    }
}
