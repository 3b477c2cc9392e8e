using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace InceptionGen.Tests.Images;

/// <summary>
/// Writes 8-bit grey PNG and baseline JPEG files for the image tests, in plain C# (no encoder package: StbImageWriteSharp
/// states no licence). The JPEG is the smallest valid baseline file: one component, one quantization table of a constant,
/// and Huffman tables of our own (every DC category a 4-bit code, every AC symbol a 9-bit code), which any decoder reads.
/// </summary>
internal static class TestImageFiles
{
    public static byte[] Png(ReadOnlySpan<byte> grey, int width, int height)
    {
        using var file = new MemoryStream();
        file.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth; colour type 0 (grey), deflate, no filter method, no interlace
        Chunk(file, "IHDR", header);
        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Fastest, leaveOpen: true))
        {
            for (var y = 0; y < height; y++)
            {
                zlib.WriteByte(0); // filter: none
                zlib.Write(grey.Slice(y * width, width));
            }
        }

        Chunk(file, "IDAT", raw.ToArray());
        Chunk(file, "IEND", []);
        return file.ToArray();
    }

    private static void Chunk(Stream file, string type, byte[] data)
    {
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(four, data.Length);
        file.Write(four);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        file.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(four, Crc32(typed));
        file.Write(four);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>A baseline grey JPEG with every coefficient quantized by <paramref name="quantizer"/>.</summary>
    public static byte[] Jpeg(ReadOnlySpan<byte> grey, int width, int height, int quantizer = 4)
    {
        var zigzag = ZigZag();
        using var file = new MemoryStream();
        void Marker(int code, byte[] payload)
        {
            file.WriteByte(0xFF);
            file.WriteByte((byte)code);
            file.WriteByte((byte)((payload.Length + 2) >> 8));
            file.WriteByte((byte)(payload.Length + 2));
            file.Write(payload);
        }

        file.Write([0xFF, 0xD8]);
        Marker(0xDB, [0x00, .. Enumerable.Repeat((byte)quantizer, 64)]);
        Marker(0xC0, [8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 1, 1, 0x11, 0]);
        var dcBits = new byte[16];
        dcBits[3] = 12;
        Marker(0xC4, [0x00, .. dcBits, .. Enumerable.Range(0, 12).Select(v => (byte)v)]);
        var acSymbols = new List<byte> { 0x00, 0xF0 };
        for (var run = 0; run < 16; run++)
        {
            for (var size = 1; size <= 10; size++)
            {
                acSymbols.Add((byte)((run << 4) | size));
            }
        }

        var acBits = new byte[16];
        acBits[8] = (byte)acSymbols.Count;
        Marker(0xC4, [0x10, .. acBits, .. acSymbols]);
        var acCode = new int[256];
        for (var i = 0; i < acSymbols.Count; i++)
        {
            acCode[acSymbols[i]] = i;
        }

        Marker(0xDA, [1, 1, 0x00, 0, 63, 0]);
        var bits = new BitWriter(file);
        var previousDc = 0;
        Span<double> block = stackalloc double[64];
        Span<int> quantized = stackalloc int[64];
        for (var by = 0; by < height; by += 8)
        {
            for (var bx = 0; bx < width; bx += 8)
            {
                for (var i = 0; i < 64; i++)
                {
                    var x = Math.Min(bx + (i % 8), width - 1);
                    var y = Math.Min(by + (i / 8), height - 1);
                    block[i] = grey[(y * width) + x] - 128.0;
                }

                for (var v = 0; v < 8; v++)
                {
                    for (var u = 0; u < 8; u++)
                    {
                        var sum = 0.0;
                        for (var y = 0; y < 8; y++)
                        {
                            for (var x = 0; x < 8; x++)
                            {
                                sum += block[(y * 8) + x] * Math.Cos((2 * x + 1) * u * Math.PI / 16) * Math.Cos((2 * y + 1) * v * Math.PI / 16);
                            }
                        }

                        var scale = (u == 0 ? Math.Sqrt(0.5) : 1) * (v == 0 ? Math.Sqrt(0.5) : 1) / 4;
                        quantized[(v * 8) + u] = (int)Math.Round(sum * scale / quantizer);
                    }
                }

                var dc = quantized[0];
                var difference = dc - previousDc;
                previousDc = dc;
                var category = Category(difference);
                bits.Write(category, 4);
                bits.Write(Magnitude(difference, category), category);
                var zeros = 0;
                for (var k = 1; k < 64; k++)
                {
                    var value = quantized[zigzag[k]];
                    if (value == 0)
                    {
                        zeros++;
                        continue;
                    }

                    for (; zeros > 15; zeros -= 16)
                    {
                        bits.Write(acCode[0xF0], 9);
                    }

                    var size = Category(value);
                    bits.Write(acCode[(zeros << 4) | size], 9);
                    bits.Write(Magnitude(value, size), size);
                    zeros = 0;
                }

                if (zeros > 0)
                {
                    bits.Write(acCode[0x00], 9); // end of block
                }
            }
        }

        bits.Flush();
        file.Write([0xFF, 0xD9]);
        return file.ToArray();
    }

    private static int Category(int value)
    {
        var magnitude = Math.Abs(value);
        var category = 0;
        for (; magnitude > 0; magnitude >>= 1)
        {
            category++;
        }

        return category;
    }

    /// <summary>JPEG's sign-magnitude bits: a negative value as value − 1 in <paramref name="category"/> bits.</summary>
    private static int Magnitude(int value, int category) => value >= 0 ? value : value + (1 << category) - 1;

    private static int[] ZigZag()
    {
        var order = new List<int>();
        for (var s = 0; s < 15; s++)
        {
            var rows = Enumerable.Range(Math.Max(0, s - 7), Math.Min(s, 7) - Math.Max(0, s - 7) + 1);
            foreach (var row in s % 2 == 0 ? rows.Reverse() : rows)
            {
                order.Add((row * 8) + (s - row));
            }
        }

        return [.. order];
    }

    private sealed class BitWriter(Stream stream)
    {
        private int _buffer, _count;

        public void Write(int value, int length)
        {
            for (var i = length - 1; i >= 0; i--)
            {
                _buffer = (_buffer << 1) | ((value >> i) & 1);
                if (++_count == 8)
                {
                    Emit();
                }
            }
        }

        /// <summary>Pads the last byte with ones, as the standard asks.</summary>
        public void Flush()
        {
            while (_count != 0)
            {
                Write(1, 1);
            }
        }

        private void Emit()
        {
            stream.WriteByte((byte)_buffer);
            if (_buffer == 0xFF)
            {
                stream.WriteByte(0x00); // byte stuffing
            }

            _buffer = 0;
            _count = 0;
        }
    }
}
