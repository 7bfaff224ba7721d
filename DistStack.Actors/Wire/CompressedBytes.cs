using System.Buffers;
using System.IO.Compression;

namespace DistStack.Actors.Wire;

/// <summary>
/// A byte format compressed as a whole: [version][uncompressed length: varint][Brotli stream of the uncompressed
/// bytes]. The version is the caller's (it names what the uncompressed bytes are). Writing reads the pieces of a
/// <see cref="WireWriter"/> as they lie, so the uncompressed bytes are never gathered into one array; reading fills
/// one array of exactly the stated length, and refuses a stream that does not end exactly there and then.
/// </summary>
internal static class CompressedBytes
{
    /// <summary>2^22 bytes: Brotli's default window.</summary>
    private const int Window = 22;

    public static byte[] Write(byte version, WireWriter uncompressed, int quality)
    {
        using var compressor = new Compressor(version, uncompressed.Length, quality);
        uncompressed.ForEachPiece(compressor, static (c, piece) => c.Add(piece));
        return compressor.Finish();
    }

    /// <summary>The length stated after the version byte.</summary>
    public static long UncompressedLength(ReadOnlySpan<byte> bytes, string what)
    {
        var reader = new WireReader(bytes, what);
        reader.ReadByte();
        return (long)reader.ReadVarUInt();
    }

    public static byte[] Read(ReadOnlySpan<byte> bytes, string what)
    {
        var reader = new WireReader(bytes, what);
        reader.ReadByte();
        var length = reader.ReadVarUInt();
        if (length > (ulong)Array.MaxLength) throw reader.Malformed($"its stated length {length} is beyond any array");
        var uncompressed = GC.AllocateUninitializedArray<byte>((int)length);
        var compressed = bytes[^reader.Remaining..];
        using var decoder = new BrotliDecoder();
        if (decoder.Decompress(compressed, uncompressed, out var consumed, out var written) != OperationStatus.Done ||
            consumed != compressed.Length || written != uncompressed.Length)
            throw reader.Malformed($"its compressed bytes do not decompress to exactly the {length} bytes it states (corrupt)");
        return uncompressed;
    }

    private sealed class Compressor : IDisposable
    {
        private BrotliEncoder _encoder;
        private byte[] _output;
        private int _written;

        public Compressor(byte version, long uncompressedLength, int quality)
        {
            _encoder = new BrotliEncoder(quality, Window);
            // Repetitive data compresses several times over; the buffer doubles when it does not.
            _output = GC.AllocateUninitializedArray<byte>((int)Math.Clamp(uncompressedLength / 4, 4096, Array.MaxLength));
            _output[0] = version;
            _written = 1 + WireWriter.WriteVarUInt(_output.AsSpan(1), (ulong)uncompressedLength);
        }

        public void Add(ReadOnlySpan<byte> piece) => Compress(piece, final: false);

        public byte[] Finish()
        {
            Compress(ReadOnlySpan<byte>.Empty, final: true);
            return _output.AsSpan(0, _written).ToArray();
        }

        private void Compress(ReadOnlySpan<byte> source, bool final)
        {
            while (true)
            {
                var status = _encoder.Compress(source, _output.AsSpan(_written), out var consumed, out var produced, final);
                _written += produced;
                source = source[consumed..];
                switch (status)
                {
                    case OperationStatus.Done when source.IsEmpty:
                        return;
                    case OperationStatus.Done:
                        continue;
                    case OperationStatus.DestinationTooSmall when _output.Length < Array.MaxLength:
                        var grown = GC.AllocateUninitializedArray<byte>((int)Math.Min((long)_output.Length * 2, Array.MaxLength));
                        _output.AsSpan(0, _written).CopyTo(grown);
                        _output = grown;
                        continue;
                    default:
                        throw new InvalidOperationException($"Brotli compression stopped: {status}.");
                }
            }
        }

        public void Dispose() => _encoder.Dispose();
    }
}
