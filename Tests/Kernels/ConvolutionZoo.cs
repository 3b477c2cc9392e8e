using InceptionGen.Tests.Network;
using InceptionGen.Tests.Reference;

namespace InceptionGen.Tests.Kernels;

// Tiny networks of one or two convolutions, declared here so that the generator emits their register-tiled
// convolutions at build time. Together they cover kernels 1/3/5/7, strides 1-3, paddings 0-3 (3 on a 3x3:
// border windows lie wholly in the padding), input channels 1, 3, 15, 16, 17, 33 (and 24, 80, and gapped
// concats of 64 physical channels), output channels 1, 8, 16, 24, 48, 64, 80, so wide tiles of 1-4 output blocks,
// output rows 1-30 and 56 pixels wide with and without a remainder tile (strided ones too), non-square maps, and
// ReLU and bias on and off. ConvolutionZooTests checks that coverage against the planner's tile choice, and each network's
// forward pass against the NCHW reference. Each attribute's numbers are written again in the Zoo table below:
// the reference reads nothing but the weights from the network.

[Network(Channels = 1, Height = 9, Width = 9)]
public sealed partial class ZooOneChannel3x3
{
    [Conv(8, Kernel = 3, Padding = 1)] public partial Conv Conv { get; }
}

[Network(Channels = 3, Height = 7, Width = 11)]
public sealed partial class ZooNonSquareStride2
{
    [Conv(16, Kernel = 3, Stride = 2, Bias = false, Relu = false)] public partial Conv Conv { get; }
}

[Network(Channels = 15, Height = 13, Width = 13)]
public sealed partial class Zoo5x5TwoBlocks
{
    [Conv(24, Kernel = 5, Padding = 2)] public partial Conv Conv { get; }
}

[Network(Channels = 16, Height = 14, Width = 15)]
public sealed partial class Zoo1x1ThreeBlocks
{
    [Conv(48)] public partial Conv Conv { get; }
}

[Network(Channels = 17, Height = 12, Width = 29)]
public sealed partial class Zoo3x3FourBlocks
{
    [Conv(64, Kernel = 3, Padding = 1)] public partial Conv Conv { get; }
}

[Network(Channels = 33, Height = 8, Width = 8)]
public sealed partial class ZooFiveBlocksThenOne
{
    [Conv(80)] public partial Conv Wide { get; }
    [Conv(1, Kernel = 3, Padding = 1, Relu = false)] public partial Conv Narrow { get; }
}

[Network(Channels = 3, Height = 23, Width = 23)]
public sealed partial class ZooStem7x7
{
    [Conv(16, Kernel = 7, Stride = 2, Padding = 3)] public partial Conv Conv { get; }
}

[Network(Channels = 1, Height = 30, Width = 30)]
public sealed partial class ZooWidth30
{
    [Conv(8, Bias = false)] public partial Conv Conv { get; }
}

[Network(Channels = 17, Height = 1, Width = 1)]
public sealed partial class ZooOnePixel
{
    [Conv(24, Kernel = 3, Padding = 1)] public partial Conv Conv { get; }
}

[Network(Channels = 15, Height = 5, Width = 6)]
public sealed partial class ZooPaddingBeyondHalf
{
    [Conv(16, Kernel = 3, Padding = 3)] public partial Conv Conv { get; }
}

[Network(Channels = 16, Height = 20, Width = 17)]
public sealed partial class Zoo5x5Stride3
{
    [Conv(48, Kernel = 5, Stride = 3, Padding = 1)] public partial Conv Conv { get; }
}

[Network(Channels = 33, Height = 15, Width = 14)]
public sealed partial class Zoo7x7Stride2
{
    [Conv(8, Kernel = 7, Stride = 2, Padding = 2)] public partial Conv Conv { get; }
}

[Network(Channels = 3, Height = 10, Width = 28)]
public sealed partial class ZooTwoLayersWidth28
{
    [Conv(24, Kernel = 3, Padding = 1)] public partial Conv First { get; }
    [Conv(64, Relu = false)] public partial Conv Second { get; }
}

[Network(Channels = 1, Height = 11, Width = 7)]
public sealed partial class ZooOneToOne
{
    [Conv(1, Kernel = 3, Stride = 2, Padding = 1, Relu = false)] public partial Conv Conv { get; }
}

[Network(Channels = 16, Height = 3, Width = 56)]
public sealed partial class ZooWidth56
{
    [Conv(16, Kernel = 3, Padding = 1)] public partial Conv Conv { get; }
}

[Network(Channels = 16, Height = 7, Width = 7)]
public sealed partial class ZooFourBlocksWidth7
{
    [Conv(64, Kernel = 3, Padding = 1, Relu = false)] public partial Conv Conv { get; }
}

[Network(Channels = 3, Height = 16, Width = 16)]
public sealed partial class ZooStride3Then1x1Stride2
{
    [Conv(24, Kernel = 5, Stride = 3, Padding = 2, Bias = false)] public partial Conv First { get; }
    [Conv(16, Stride = 2)] public partial Conv Second { get; }
}

[Network(Channels = 3, Height = 9, Width = 13)]
public sealed partial class ZooStride2Remainder
{
    [Conv(64, Kernel = 3, Stride = 2, Padding = 1)] public partial Conv Conv { get; }
}

[Network(Channels = 16, Height = 4, Width = 56)]
public sealed partial class ZooStride3Remainder
{
    [Conv(48, Kernel = 5, Stride = 3, Padding = 2, Relu = false)] public partial Conv Conv { get; }
}

/// <summary>A 3x3 convolution reading a concat of 3-, 7-, 5- and 6-wide slices: 21 channels spread over 64 physical ones.</summary>
[Network(Channels = 5, Height = 9, Width = 11)]
public sealed partial class ZooAfterGappedConcat
{
    [Inception(3, 4, 7, 2, 5, 6)] public partial Inception Mixed { get; }
    [Conv(24, Kernel = 3, Padding = 1)] public partial Conv Conv { get; }
}

/// <summary>A 1x1 convolution reading a concat whose pass-through pool slice (17 channels) spans two blocks after two gapped slices.</summary>
[Network(Channels = 17, Height = 5, Width = 5)]
public sealed partial class ZooAfterPassThroughConcat
{
    [Inception(2, 0, 0, 3, 5, 0)] public partial Inception Mixed { get; }
    [Conv(16, Relu = false)] public partial Conv Conv { get; }
}

/// <summary>One convolution of a zoo network as its attribute declares it.</summary>
// Rectangular kernels, as Inception-v3 factorizes them (1x7, 7x1, 1x3, 3x1), and rectangular strides and paddings.
[Network(Channels = 17, Height = 9, Width = 13)]
public sealed partial class Zoo1x7
{
    [Conv(24, KernelHeight = 1, KernelWidth = 7, PaddingWidth = 3)] public partial Conv Conv { get; }
}

[Network(Channels = 16, Height = 13, Width = 9)]
public sealed partial class Zoo7x1
{
    [Conv(48, KernelHeight = 7, KernelWidth = 1, PaddingHeight = 3, Bias = false)] public partial Conv Conv { get; }
}

[Network(Channels = 3, Height = 8, Width = 29)]
public sealed partial class Zoo1x3Then3x1
{
    [Conv(16, KernelHeight = 1, KernelWidth = 3, PaddingWidth = 1)] public partial Conv Wide { get; }
    [Conv(64, KernelHeight = 3, KernelWidth = 1, PaddingHeight = 1, Relu = false)] public partial Conv Tall { get; }
}

[Network(Channels = 5, Height = 11, Width = 10)]
public sealed partial class Zoo3x5Stride2x1
{
    [Conv(20, KernelHeight = 3, KernelWidth = 5, StrideHeight = 2, StrideWidth = 1, PaddingHeight = 1, PaddingWidth = 2)] public partial Conv Conv { get; }
}

[Network(Channels = 33, Height = 9, Width = 16)]
public sealed partial class Zoo5x3Stride1x2
{
    [Conv(32, KernelHeight = 5, KernelWidth = 3, StrideHeight = 1, StrideWidth = 2, PaddingHeight = 2)] public partial Conv Conv { get; }
}

/// <summary>
/// A convolution as its attribute declares it: <see cref="Kernel"/>, <see cref="Stride"/> and <see cref="Padding"/> square,
/// and the per-dimension values, when set, in their place (as <c>KernelHeight</c>, ... of <c>[Conv]</c>).
/// </summary>
internal sealed record ConvSpec(int OutChannels, int Kernel = 1, int Stride = 1, int Padding = 0, bool Bias = true, bool Relu = true,
    int? KernelHeight = null, int? KernelWidth = null, int? StrideHeight = null, int? StrideWidth = null, int? PaddingHeight = null, int? PaddingWidth = null)
{
    public int KernelY => KernelHeight ?? Kernel;
    public int KernelX => KernelWidth ?? Kernel;
    public int StrideY => StrideHeight ?? Stride;
    public int StrideX => StrideWidth ?? Stride;
    public int PaddingY => PaddingHeight ?? Padding;
    public int PaddingX => PaddingWidth ?? Padding;

    public bool IsSquare => KernelY == KernelX && StrideY == StrideX && PaddingY == PaddingX;

    public FeatureShape Output(FeatureShape input) => new(OutChannels,
        NchwReference.OutputSize(input.Height, KernelY, StrideY, PaddingY), NchwReference.OutputSize(input.Width, KernelX, StrideX, PaddingX));

    /// <summary>The NCHW reference of this convolution on one image.</summary>
    public float[] Reference(float[] input, FeatureShape shape, float[] weights, float[]? bias)
        => NchwReference.Conv2d(input, shape, weights, bias, OutChannels, KernelY, KernelX, StrideY, StrideX, PaddingY, PaddingX, Relu);
}

/// <summary>
/// A zoo network: how to make it, its input, its convolutions (each with the shape it reads) and an NCHW
/// reference of one image. <see cref="Prefix"/> is what comes before the convolutions (an Inception module), if any.
/// </summary>
internal sealed record ZooNet(string Name, FeatureShape Input, Func<int, INetwork> Create,
    Func<INetwork, Map, Map>? Prefix, FeatureShape ConvInput, (Func<INetwork, Conv> Layer, ConvSpec Spec)[] Convolutions)
{
    /// <summary>Each convolution's spec with the (logical) shape it reads.</summary>
    public IEnumerable<(ConvSpec Spec, FeatureShape Input)> Shapes()
    {
        var shape = ConvInput;
        foreach (var (_, spec) in Convolutions)
        {
            yield return (spec, shape);
            shape = spec.Output(shape);
        }
    }

    public FeatureShape Output => Shapes().Select(pair => pair.Spec.Output(pair.Input)).Last();

    /// <summary>One image through the prefix (if any) and then every convolution, with <see cref="NchwReference.Conv2d"/>.</summary>
    public float[] Reference(INetwork net, float[] image)
    {
        var x = new Map(image, Input);
        if (Prefix is not null)
        {
            x = Prefix(net, x);
        }

        if (x.Shape != ConvInput)
        {
            throw new InvalidOperationException($"{Name}: the prefix gives {x.Shape}, the table says {ConvInput}.");
        }

        foreach (var (layer, spec) in Convolutions)
        {
            var conv = layer(net);
            var weights = conv.Weights.ToArray();
            if (weights.Length != spec.OutChannels * x.Shape.Channels * spec.KernelY * spec.KernelX)
            {
                throw new InvalidOperationException($"{Name}.{conv.Name}: {weights.Length} weights, the table implies {spec.OutChannels}x{x.Shape.Channels}x{spec.KernelY}x{spec.KernelX}.");
            }

            if (conv.Bias.Length != (spec.Bias ? spec.OutChannels : 0))
            {
                throw new InvalidOperationException($"{Name}.{conv.Name}: a bias of {conv.Bias.Length}, the table says {(spec.Bias ? spec.OutChannels : 0)}.");
            }

            var output = spec.Reference(x.Values, x.Shape, weights, spec.Bias ? conv.Bias.ToArray() : null);
            x = new Map(output, spec.Output(x.Shape));
        }

        return x.Values;
    }
}

/// <summary>The zoo, with every attribute written out again.</summary>
internal static class Zoo
{
    private static ZooNet Simple<TNet>(FeatureShape input, Func<int, TNet> create, params (Func<TNet, Conv> Layer, ConvSpec Spec)[] convolutions)
        where TNet : INetwork
        => new(typeof(TNet).Name, input, batch => create(batch), null, input,
            convolutions.Select(c => ((Func<INetwork, Conv>)(net => c.Layer((TNet)net)), c.Spec)).ToArray());

    public static readonly ZooNet[] Networks =
    [
        Simple(new(1, 9, 9), b => new ZooOneChannel3x3(b, 1), (n => n.Conv, new ConvSpec(8, Kernel: 3, Padding: 1))),
        Simple(new(3, 7, 11), b => new ZooNonSquareStride2(b, 2), (n => n.Conv, new ConvSpec(16, Kernel: 3, Stride: 2, Bias: false, Relu: false))),
        Simple(new(15, 13, 13), b => new Zoo5x5TwoBlocks(b, 3), (n => n.Conv, new ConvSpec(24, Kernel: 5, Padding: 2))),
        Simple(new(16, 14, 15), b => new Zoo1x1ThreeBlocks(b, 4), (n => n.Conv, new ConvSpec(48))),
        Simple(new(17, 12, 29), b => new Zoo3x3FourBlocks(b, 5), (n => n.Conv, new ConvSpec(64, Kernel: 3, Padding: 1))),
        Simple(new(33, 8, 8), b => new ZooFiveBlocksThenOne(b, 6),
            (n => n.Wide, new ConvSpec(80)), (n => n.Narrow, new ConvSpec(1, Kernel: 3, Padding: 1, Relu: false))),
        Simple(new(3, 23, 23), b => new ZooStem7x7(b, 7), (n => n.Conv, new ConvSpec(16, Kernel: 7, Stride: 2, Padding: 3))),
        Simple(new(1, 30, 30), b => new ZooWidth30(b, 8), (n => n.Conv, new ConvSpec(8, Bias: false))),
        Simple(new(17, 1, 1), b => new ZooOnePixel(b, 9), (n => n.Conv, new ConvSpec(24, Kernel: 3, Padding: 1))),
        Simple(new(15, 5, 6), b => new ZooPaddingBeyondHalf(b, 10), (n => n.Conv, new ConvSpec(16, Kernel: 3, Padding: 3))),
        Simple(new(16, 20, 17), b => new Zoo5x5Stride3(b, 11), (n => n.Conv, new ConvSpec(48, Kernel: 5, Stride: 3, Padding: 1))),
        Simple(new(33, 15, 14), b => new Zoo7x7Stride2(b, 12), (n => n.Conv, new ConvSpec(8, Kernel: 7, Stride: 2, Padding: 2))),
        Simple(new(3, 10, 28), b => new ZooTwoLayersWidth28(b, 13),
            (n => n.First, new ConvSpec(24, Kernel: 3, Padding: 1)), (n => n.Second, new ConvSpec(64, Relu: false))),
        Simple(new(1, 11, 7), b => new ZooOneToOne(b, 14), (n => n.Conv, new ConvSpec(1, Kernel: 3, Stride: 2, Padding: 1, Relu: false))),
        Simple(new(16, 3, 56), b => new ZooWidth56(b, 15), (n => n.Conv, new ConvSpec(16, Kernel: 3, Padding: 1))),
        Simple(new(16, 7, 7), b => new ZooFourBlocksWidth7(b, 16), (n => n.Conv, new ConvSpec(64, Kernel: 3, Padding: 1, Relu: false))),
        Simple(new(3, 16, 16), b => new ZooStride3Then1x1Stride2(b, 17),
            (n => n.First, new ConvSpec(24, Kernel: 5, Stride: 3, Padding: 2, Bias: false)), (n => n.Second, new ConvSpec(16, Stride: 2))),
        Simple(new(3, 9, 13), b => new ZooStride2Remainder(b, 20), (n => n.Conv, new ConvSpec(64, Kernel: 3, Stride: 2, Padding: 1))),
        Simple(new(16, 4, 56), b => new ZooStride3Remainder(b, 21), (n => n.Conv, new ConvSpec(48, Kernel: 5, Stride: 3, Padding: 2, Relu: false))),
        Simple(new(17, 9, 13), b => new Zoo1x7(b, 22), (n => n.Conv, new ConvSpec(24, KernelHeight: 1, KernelWidth: 7, PaddingWidth: 3))),
        Simple(new(16, 13, 9), b => new Zoo7x1(b, 23), (n => n.Conv, new ConvSpec(48, KernelHeight: 7, KernelWidth: 1, PaddingHeight: 3, Bias: false))),
        Simple(new(3, 8, 29), b => new Zoo1x3Then3x1(b, 24),
            (n => n.Wide, new ConvSpec(16, KernelHeight: 1, KernelWidth: 3, PaddingWidth: 1)),
            (n => n.Tall, new ConvSpec(64, KernelHeight: 3, KernelWidth: 1, PaddingHeight: 1, Relu: false))),
        Simple(new(5, 11, 10), b => new Zoo3x5Stride2x1(b, 25),
            (n => n.Conv, new ConvSpec(20, KernelHeight: 3, KernelWidth: 5, StrideHeight: 2, StrideWidth: 1, PaddingHeight: 1, PaddingWidth: 2))),
        Simple(new(33, 9, 16), b => new Zoo5x3Stride1x2(b, 26),
            (n => n.Conv, new ConvSpec(32, KernelHeight: 5, KernelWidth: 3, StrideHeight: 1, StrideWidth: 2, PaddingHeight: 2, PaddingWidth: 0))),
        new(nameof(ZooAfterGappedConcat), new(5, 9, 11), b => new ZooAfterGappedConcat(b, 18),
            (net, x) => ReferenceOps.Inception(x, ((ZooAfterGappedConcat)net).Mixed, 3, 4, 7, 2, 5, 6), new(21, 9, 11),
            [(net => ((ZooAfterGappedConcat)net).Conv, new ConvSpec(24, Kernel: 3, Padding: 1))]),
        new(nameof(ZooAfterPassThroughConcat), new(17, 5, 5), b => new ZooAfterPassThroughConcat(b, 19),
            (net, x) => ReferenceOps.Inception(x, ((ZooAfterPassThroughConcat)net).Mixed, 2, 0, 0, 3, 5, 0), new(24, 5, 5),
            [(net => ((ZooAfterPassThroughConcat)net).Conv, new ConvSpec(16, Relu: false))]),
    ];

    public static ZooNet Get(string name) => Networks.Single(net => net.Name == name);
}
