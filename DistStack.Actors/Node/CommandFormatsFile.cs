using Akka.Event;

namespace DistStack.Actors.Node;

/// <summary>
/// command-formats.txt in the data directory: the newest command format each member has said it reads, one
/// "member version" line each. Without it a node restarted while a member is down would refuse batches until that
/// member came back, though it had long said it reads them. Written only when a member's answer changes (once per
/// member per upgrade); a missing or unreadable file only means starting from nothing heard.
/// </summary>
public static class CommandFormatsFile
{
    public const string FileName = "command-formats.txt";

    public static IReadOnlyDictionary<int, byte> Read(string dataDirectory, ILoggingAdapter log)
    {
        var heard = new Dictionary<int, byte>();
        var path = Path.Combine(dataDirectory, FileName);
        try
        {
            if (!File.Exists(path)) return heard;
            foreach (var line in File.ReadAllLines(path))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2 && int.TryParse(parts[0], out var member) && byte.TryParse(parts[1], out var version))
                    heard[member] = version;
            }
        }
        catch (IOException e)
        {
            log.Warning("Could not read {0}: {1}; batches wait until every member is heard from again", path, e.Message);
        }
        return heard;
    }

    public static void Write(string dataDirectory, IReadOnlyDictionary<int, byte> heard, ILoggingAdapter log)
    {
        var path = Path.Combine(dataDirectory, FileName);
        try
        {
            var temporary = path + ".tmp";
            File.WriteAllLines(temporary, heard.OrderBy(h => h.Key).Select(h => $"{h.Key} {h.Value}"));
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Warning("Could not save {0}: {1}; a restart will wait to hear every member again", path, e.Message);
        }
    }
}
