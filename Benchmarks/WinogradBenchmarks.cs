using BenchmarkDotNet.Attributes;
using InceptionGen.Definitions;
using InceptionGen.Kernels;
using InceptionGen.Threading;

namespace InceptionGen.Benchmarks;

/// <summary>
/// GoogLeNet's 3x3 stride-1 convolutions at batch 1 on every core, three ways: the generated direct convolution (the op
/// of <see cref="GoogLeNetDirect"/>, whose planner keeps every layer direct), and the runtime's Winograd F(2x2,3x3) and
/// F(4x4,3x3) kernels on the same pool, split into items of <see cref="WinogradKernels.SuggestedTilesPerCall"/> tiles.
/// GFLOP/s are counted by the direct convolution's multiply-adds for all three ("effective"), so a Winograd rate may
/// exceed the machine's FMA peak.
/// </summary>
public class WinogradBenchmarks : IWorkload, IRangeWork
{
    /// <summary>GoogLeNet's 3x3 layers: op name, input channels, output channels, map size.</summary>
    private static readonly (string Name, int In, int Out, int Size)[] Layers =
    [
        ("Conv2", 64, 192, 56),
        ("Inception3a.Branch2", 96, 128, 28),
        ("Inception3b.Branch2", 128, 192, 28),
        ("Inception4a.Branch2", 96, 208, 14),
        ("Inception4b.Branch2", 112, 224, 14),
        ("Inception4c.Branch2", 128, 256, 14),
        ("Inception4d.Branch2", 144, 288, 14),
        ("Inception4e.Branch2", 160, 320, 14),
        ("Inception5a.Branch2", 160, 320, 7),
        ("Inception5b.Branch2", 192, 384, 7),
    ];

    public static IEnumerable<string> LayerNames() => Layers.Select(layer => layer.Name);

    [ParamsSource(nameof(LayerNames))]
    public string Layer { get; set; } = "Conv2";

    [Params("direct", "F(2,3)", "F(4,3)")]
    public string Algorithm { get; set; } = "direct";

    private (string Name, int In, int Out, int Size) Shape => Layers.Single(layer => layer.Name == Layer);

    public double FlopsPerInvocation => 2.0 * Shape.In * Shape.Out * 9 * Shape.Size * Shape.Size;

    public int ImagesPerInvocation => 0;

    private GoogLeNetDirect _network = null!;
    private int _operation;
    private WinogradGeometry _geometry;
    private int _tilesPerItem;
    private float[] _input = null!, _output = null!, _packed = null!, _bias = null!;

    [ThreadStatic] private static float[]? t_scratch;

    [GlobalSetup]
    public void Setup()
    {
        var shape = Shape;
        _network = new GoogLeNetDirect(1, seed: 1);
        _network.Forward(BenchmarkData.Images(GoogLeNetDirect.InputLength), new float[GoogLeNetDirect.OutputLength], 1);
        _operation = GoogLeNetDirect.Operations.Select((operation, index) => (operation, index))
            .Single(entry => entry.operation.Name == shape.Name && entry.operation.Description.StartsWith("conv 3x3/1", StringComparison.Ordinal)).index;
        if (Algorithm == "direct")
        {
            return;
        }

        _geometry = new WinogradGeometry(shape.In, shape.Size + 2, shape.Size + 2, shape.Out, Algorithm == "F(2,3)" ? 2 : 4, Relu: true);
        _tilesPerItem = WinogradKernels.SuggestedTilesPerCall(_geometry);
        _input = BenchmarkData.Images(BlockedLayout.Length(shape.In, shape.Size + 2, shape.Size + 2));
        _output = new float[BlockedLayout.Length(shape.Out, shape.Size, shape.Size)];
        var weights = BenchmarkData.Images(shape.Out * shape.In * 9);
        _packed = new float[WinogradPacking.PackedLength(shape.Out, shape.In, _geometry.TileSize)];
        WinogradPacking.PackWeights(weights, _packed, shape.Out, shape.In, _geometry.TileSize, [], shape.In);
        _bias = new float[BlockedLayout.PaddedChannels(shape.Out)];
    }

    [Benchmark(Description = "3x3 convolution")]
    public void Run()
    {
        if (Algorithm == "direct")
        {
            _network.RunOperation(_operation);
        }
        else
        {
            WorkerPool.Shared.Run(this, 0, (_geometry.Tiles + _tilesPerItem - 1) / _tilesPerItem);
        }
    }

    /// <summary>Items of <see cref="_tilesPerItem"/> tiles, each thread with its own scratch.</summary>
    public void Execute(int operation, int begin, int end)
    {
        var needed = WinogradKernels.ScratchLength(_geometry, _tilesPerItem);
        if (t_scratch is null || t_scratch.Length < needed)
        {
            t_scratch = new float[needed];
        }

        var scratch = t_scratch;
        for (var item = begin; item < end; item++)
        {
            var first = item * _tilesPerItem;
            WinogradKernels.ConvolveTiles(_input, _output, _packed, _bias, scratch, _geometry, first, Math.Min(first + _tilesPerItem, _geometry.Tiles));
        }
    }
}
