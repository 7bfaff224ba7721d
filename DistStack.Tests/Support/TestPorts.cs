using System.Net;
using System.Net.Sockets;

namespace DistStack.Tests.Support;

/// <summary>
/// Free TCP ports on 127.0.0.1 for the tests. A port is bound with port 0 and read back, then released; the
/// kernel may hand the same port out again at once, so this process never returns a port it returned before
/// (two calls in a row once gave one cluster the same port twice).
/// </summary>
public static class TestPorts
{
    private static readonly object Gate = new();
    private static readonly HashSet<int> HandedOut = [];

    public static int Take() => Take(1)[0];

    public static IReadOnlyList<int> Take(int count)
    {
        lock (Gate)
        {
            var held = new List<TcpListener>();
            var ports = new List<int>(count);
            try
            {
                while (ports.Count < count)
                {
                    if (held.Count > count + 1_000)
                        throw new InvalidOperationException($"no {count} fresh ports after {held.Count} tries");
                    var listener = new TcpListener(IPAddress.Loopback, 0);
                    listener.Start();
                    held.Add(listener);
                    var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                    if (HandedOut.Add(port)) ports.Add(port);
                }
                return ports;
            }
            finally
            {
                foreach (var listener in held) listener.Stop();
            }
        }
    }
}
