using System.Text.Json;
using DistStack.Actors.Hosting;

namespace DistStack.Actors.Persistence;

/// <summary>
/// "identity.json" in the data directory: which cluster and which node this directory belongs to, and the member
/// list it was bootstrapped with. Checked before the ActorSystem starts, so a node pointed at another node's or
/// another cluster's data refuses to start with a clear message instead of corrupting a quorum. The journal's
/// <see cref="NodeBootstrapped"/> event is the second, authoritative copy (checked on recovery).
/// </summary>
public static class NodeIdentityFile
{
    public const string FileName = "identity.json";

    /// <param name="Bootstrapped">
    /// Set once the journal durably holds the node's bootstrap (term, vote, initial entries): from then on an empty
    /// journal means the journal was lost, not that the node is new. Null in files written before the flag existed.
    /// </param>
    /// <param name="ClusterToken">Mixed into the cluster id; null in files written before tokens existed (no token).</param>
    /// <param name="Joined">
    /// True for a node started with --join: its cluster id is not computed from <paramref name="Members"/> (where it
    /// looked for the cluster) but learned from the leader that added it, and recorded here with
    /// <paramref name="Bootstrapped"/> once the journal holds it ("" until then). Null for founders.
    /// </param>
    /// <param name="StorageId">
    /// This storage's random id (16 hex digits), chosen when the directory was created: a directory that was wiped and
    /// created again gets another one, which the cluster does not count (docs/membership.md, "Storage ids"). Null in
    /// files written before storage ids existed: one is chosen at the next start.
    /// </param>
    private sealed record IdentityDocument(string ClusterId, int NodeId, string[] Members, bool? Bootstrapped = null,
        string? ClusterToken = null, bool? Joined = null, string? StorageId = null);

    /// <summary>
    /// Empty or missing directory: records the settings' identity and returns them. Otherwise the persisted
    /// identity wins: an unset node id or member list is taken from it, and a contradicting one is refused with
    /// <see cref="DataDirectoryMismatchException"/>.
    /// </summary>
    public static RaftNodeSettings Reconcile(RaftNodeSettings settings)
    {
        var path = Path.Combine(settings.DataDirectory, FileName);
        if (!File.Exists(path))
        {
            settings.Validate();
            Directory.CreateDirectory(settings.DataDirectory);
            settings = settings with { StorageId = NewStorageId() };
            Write(path, settings);
            return settings;
        }

        var document = ReadDocument(path)
            ?? throw new DataDirectoryMismatchException($"{path} is empty or unreadable.");
        if (document.StorageId is null)
        {
            // Written before storage ids: this storage never had one, so no cluster recorded one for it.
            document = document with { StorageId = FormatStorageId(NewStorageId()) };
            Write(path, document);
        }
        if (!ulong.TryParse(document.StorageId, System.Globalization.NumberStyles.HexNumber, null, out var storageId) || storageId == 0)
            throw new DataDirectoryMismatchException($"{path} is inconsistent: '{document.StorageId}' is not a storage id.");
        var persistedMembers = document.Members.Select((m, i) => PeerEndpoint.Parse(i + 1, m)).ToList();
        var persistedToken = document.ClusterToken ?? "";
        var persistedClusterId = ClusterIdentity.FromMembers(persistedMembers, persistedToken);
        var joined = document.Joined == true;

        if (settings.NodeId != 0 && settings.NodeId != document.NodeId)
            throw new DataDirectoryMismatchException(
                $"Data directory {settings.DataDirectory} belongs to node {document.NodeId} of cluster {document.ClusterId}, " +
                $"but this node was started as node {settings.NodeId}. Point it at its own data directory.");
        if (settings.Members.Count > 0 && !settings.Members.Select(m => m.ToString())
                .SequenceEqual(persistedMembers.Select(m => m.ToString()), StringComparer.OrdinalIgnoreCase))
            throw new DataDirectoryMismatchException(
                $"Data directory {settings.DataDirectory} belongs to cluster {document.ClusterId} with members " +
                $"[{string.Join(", ", document.Members)}], but the configured cluster is " +
                $"[{string.Join(", ", settings.Members)}]. The persisted configuration wins on restart: start without " +
                "a cluster list, with the same list, or with an empty data directory.");
        if (settings.ClusterToken.Length > 0 && settings.ClusterToken != persistedToken)
            throw new DataDirectoryMismatchException(
                $"Data directory {settings.DataDirectory} belongs to cluster {document.ClusterId}, bootstrapped with " +
                $"{(persistedToken.Length == 0 ? "no cluster token" : $"cluster token '{persistedToken}'")}, but this node " +
                $"was started with cluster token '{settings.ClusterToken}'. The persisted identity wins on restart: start " +
                "without a token, with the same one, or with an empty data directory.");
        if (!joined && ClusterIdentity.Format(persistedClusterId) != document.ClusterId)
            throw new DataDirectoryMismatchException(
                $"{path} is inconsistent: cluster id {document.ClusterId} does not match its member list and token.");
        ulong? joinedClusterId = null;
        if (joined && document.Bootstrapped == true)
        {
            if (!ulong.TryParse(document.ClusterId, System.Globalization.NumberStyles.HexNumber, null, out var learned))
                throw new DataDirectoryMismatchException($"{path} is inconsistent: '{document.ClusterId}' is not a cluster id.");
            joinedClusterId = learned;
        }

        // A directory that holds a node restarts as that node: --join matters only until a joiner has joined.
        var reconciled = settings with
        {
            NodeId = document.NodeId, Members = persistedMembers, ClusterToken = persistedToken,
            Join = joined && joinedClusterId is null, JoinedClusterId = joinedClusterId, StorageId = storageId,
        };
        reconciled.Validate();
        return reconciled;
    }

    /// <summary>
    /// A node started with --join was added to the cluster <paramref name="clusterId"/>, and its journal durably holds
    /// that: from now on it restarts as a member of that cluster, whatever --join says.
    /// </summary>
    public static void MarkJoined(string dataDirectory, ulong clusterId)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (ReadDocument(path) is not { } document) return;
        Write(path, document with { ClusterId = ClusterIdentity.Format(clusterId), Bootstrapped = true, Joined = true });
    }

    /// <summary>
    /// Whether the identity file says this node's journal holds its bootstrap: true, false (written at first start,
    /// bootstrap not yet durable), or null (no identity file, or one written before the flag existed).
    /// </summary>
    public static bool? ReadBootstrapped(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        return File.Exists(path) ? ReadDocument(path)?.Bootstrapped : null;
    }

    /// <summary>
    /// Records that the journal durably holds the bootstrap. Called only after that write succeeded, so a crash
    /// during the first boot leaves the flag unset and the next start simply bootstraps again. No-op without a file.
    /// </summary>
    public static void MarkBootstrapped(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, FileName);
        if (!File.Exists(path)) return;
        var document = ReadDocument(path);
        if (document is null || document.Bootstrapped == true) return;
        Write(path, document with { Bootstrapped = true });
    }

    private static IdentityDocument? ReadDocument(string path) =>
        JsonSerializer.Deserialize<IdentityDocument>(File.ReadAllText(path));

    private static void Write(string path, RaftNodeSettings settings) => Write(path, new IdentityDocument(
        settings.Join ? "" : ClusterIdentity.Format(settings.ClusterId), settings.NodeId, [.. settings.Members.Select(m => m.ToString())],
        Bootstrapped: false, ClusterToken: settings.ClusterToken.Length == 0 ? null : settings.ClusterToken,
        Joined: settings.Join ? true : null, StorageId: FormatStorageId(settings.StorageId)));

    /// <summary>A random non-zero 64-bit id: two storages never share one in practice (a 2^-64 chance per pair).</summary>
    private static ulong NewStorageId()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong id;
        do
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
            id = BitConverter.ToUInt64(bytes);
        } while (id == 0);
        return id;
    }

    public static string FormatStorageId(ulong storageId) => storageId.ToString("x16");

    private static void Write(string path, IdentityDocument document)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, document, new JsonSerializerOptions { WriteIndented = true });
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}

/// <summary>The data directory belongs to another node or cluster, or contradicts the configuration.</summary>
public sealed class DataDirectoryMismatchException(string message) : Exception(message);
