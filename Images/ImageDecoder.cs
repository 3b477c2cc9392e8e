using StbImageSharp;

namespace InceptionGen.Images;

/// <summary>A decoded image: <see cref="Channels"/> bytes per pixel (1: grey, 3: RGB), row by row, top to bottom.</summary>
public sealed class DecodedImage(int width, int height, int channels, byte[] pixels)
{
    public int Width { get; } = width;
    public int Height { get; } = height;
    public int Channels { get; } = channels;
    public byte[] Pixels { get; } = pixels;
}

/// <summary>
/// Decodes JPEG, PNG (and BMP, GIF's first frame, TGA, PSD) with StbImageSharp, a managed port of stb_image: no
/// native library, so it runs wherever .NET does, NativeAOT included.
/// </summary>
public static class ImageDecoder
{
    /// <summary>The file extensions <see cref="ImageFolder"/> takes (case-insensitive), like torchvision's minus TIFF and WebP.</summary>
    public static readonly IReadOnlyList<string> Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tga"];

    /// <summary>Decodes the bytes of an image file to RGB (<paramref name="channels"/> 3) or grey (1).</summary>
    /// <exception cref="InvalidDataException">The bytes are not an image StbImageSharp decodes; the message says why.</exception>
    public static DecodedImage Decode(byte[] file, int channels = 3)
    {
        if (channels is not (1 or 3))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "1 (grey) or 3 (RGB)");
        }

        if (file.Length == 0)
        {
            throw new InvalidDataException("the file is empty");
        }

        ImageResult result;
        try
        {
            result = ImageResult.FromMemory(file, channels == 1 ? ColorComponents.Grey : ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // stb reports a corrupt file with a plain Exception ("unknown image type", "bad huffman code", ...).
            throw new InvalidDataException($"not a decodable image ({e.Message})", e);
        }

        if (result is null || result.Data is null || result.Width <= 0 || result.Height <= 0 || result.Data.Length < (long)result.Width * result.Height * channels)
        {
            throw new InvalidDataException("not a decodable image");
        }

        return new DecodedImage(result.Width, result.Height, channels, result.Data);
    }

    /// <summary>Reads and decodes a file; see <see cref="Decode(byte[], int)"/>.</summary>
    public static DecodedImage Decode(string path, int channels = 3) => Decode(File.ReadAllBytes(path), channels);
}
