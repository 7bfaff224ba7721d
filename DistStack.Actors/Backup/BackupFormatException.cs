namespace DistStack.Actors.Backup;

/// <summary>The file is not a backup this build can restore (wrong magic or version, truncated, corrupt); the message says which.</summary>
public sealed class BackupFormatException(string message, Exception? inner = null) : Exception(message, inner);
