namespace InceptionGen.Kernels;

/// <summary>
/// The shape of one Winograd convolution F(m×m, 3×3) on one image: a 3x3, stride-1 convolution over an input map that
/// already carries its zero border (as the direct kernels read it), so the output is two pixels smaller each way.
/// The output is cut into m×m tiles, row by row; a tile reads an α×α input patch (α = m + 2) and tiles at the
/// right and bottom edges read zeros past the map and write only the pixels that exist.
/// </summary>
/// <param name="Channels">Input channels the kernel iterates (physical when the input has a channel map); the input holds <c>Blocks(Channels)</c> blocks.</param>
/// <param name="InHeight">Rows of the (already padded) input map.</param>
/// <param name="InWidth">Columns of the (already padded) input map.</param>
/// <param name="OutChannels">Output channels; <c>Blocks(OutChannels)</c> blocks are written, padding lanes as zero.</param>
/// <param name="TileSize">m: 2 for F(2x2,3x3), 4 for F(4x4,3x3).</param>
/// <param name="Relu">Clip the output at zero.</param>
public readonly record struct WinogradGeometry(int Channels, int InHeight, int InWidth, int OutChannels, int TileSize, bool Relu)
{
    public int OutHeight => InHeight - 2;

    public int OutWidth => InWidth - 2;

    /// <summary>Side of the input patch and of the transformed tile: m + 2.</summary>
    public int Alpha => TileSize + 2;

    public int TileRows => (OutHeight + TileSize - 1) / TileSize;

    public int TileColumns => (OutWidth + TileSize - 1) / TileSize;

    public int Tiles => TileRows * TileColumns;

    /// <summary>
    /// The transposed convolution that computes a 3x3 stride-1 convolution's input gradient: its input is the output
    /// gradient of <paramref name="outChannels"/> channels, <paramref name="outHeight"/> × <paramref name="outWidth"/>,
    /// bordered by 2; its output the gradient of the forward convolution's bordered input (<paramref name="inputPhysicalChannels"/>
    /// channels, whole blocks, <paramref name="outHeight"/> + 2 rows). No ReLU: the forward ReLU masked the output gradient.
    /// </summary>
    public static WinogradGeometry ForInputGradient(int outChannels, int outHeight, int outWidth, int inputPhysicalChannels, int tileSize)
        => new(outChannels, outHeight + 4, outWidth + 4, inputPhysicalChannels, tileSize, Relu: false);
}

/// <summary>
/// Lavin and Gray's transform matrices for F(2x2,3x3) and F(4x4,3x3) (the wincnn points 0, ±1, ±2 for F(4,3)):
/// <c>Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A</c>. The scalar reference reads them; the vector kernels spell the same
/// products out as adds, and the weight packing applies <see cref="Weight"/> (G) in double.
/// </summary>
public static class WinogradTransforms
{
    /// <summary>The tile sizes the kernels implement.</summary>
    public static bool IsSupported(int tileSize) => tileSize is 2 or 4;

    /// <summary>Bᵀ, α × α, row-major.</summary>
    public static ReadOnlySpan<float> InputTransposed(int tileSize) => tileSize == 2 ? InputF2 : InputF4;

    /// <summary>G, α × 3, row-major.</summary>
    public static ReadOnlySpan<double> Weight(int tileSize) => tileSize == 2 ? WeightF2 : WeightF4;

    /// <summary>Aᵀ, m × α, row-major.</summary>
    public static ReadOnlySpan<float> OutputTransposed(int tileSize) => tileSize == 2 ? OutputF2 : OutputF4;

    private static ReadOnlySpan<float> InputF2 =>
    [
        1, 0, -1, 0,
        0, 1, 1, 0,
        0, -1, 1, 0,
        0, 1, 0, -1,
    ];

    private static ReadOnlySpan<double> WeightF2 =>
    [
        1, 0, 0,
        0.5, 0.5, 0.5,
        0.5, -0.5, 0.5,
        0, 0, 1,
    ];

    private static ReadOnlySpan<float> OutputF2 =>
    [
        1, 1, 1, 0,
        0, 1, -1, -1,
    ];

    private static ReadOnlySpan<float> InputF4 =>
    [
        4, 0, -5, 0, 1, 0,
        0, -4, -4, 1, 1, 0,
        0, 4, -4, -1, 1, 0,
        0, -2, -1, 2, 1, 0,
        0, 2, -1, -2, 1, 0,
        0, 4, 0, -5, 0, 1,
    ];

    private static ReadOnlySpan<double> WeightF4 =>
    [
        1.0 / 4, 0, 0,
        -1.0 / 6, -1.0 / 6, -1.0 / 6,
        -1.0 / 6, 1.0 / 6, -1.0 / 6,
        1.0 / 24, 1.0 / 12, 1.0 / 6,
        1.0 / 24, -1.0 / 12, 1.0 / 6,
        0, 0, 1,
    ];

    private static ReadOnlySpan<float> OutputF4 =>
    [
        1, 1, 1, 1, 1, 0,
        0, 1, -1, 2, -2, 0,
        0, 1, 1, 4, 4, 0,
        0, 1, -1, 8, -8, 1,
    ];
}
