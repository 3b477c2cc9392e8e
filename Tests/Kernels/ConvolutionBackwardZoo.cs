using InceptionGen.Kernels;
using InceptionGen.Tests.Reference;
using InceptionGen.Training;

namespace InceptionGen.Tests.Kernels;

// Small trainable networks (convolutions, then flatten and a 3-class Linear layer) declared here so that the
// generator emits their training pass at build time. Their convolutions cover kernels 1/3/5/7, strides 1 and 2,
// paddings 0-3, channel counts off the 16-wide blocks (3, 5, 7, 15, 17, 20, 33, 40) and on them (16, 64), odd and
// non-square maps, ReLU and bias on and off, and a chain of three convolutions (whose inner input gradients feed
// the earlier layers' weight gradients). The flatten gives every output pixel its own gradient, unlike a global
// pool. Each attribute's numbers are written again in the table below: the reference reads nothing but the
// weights from the network.

[Network(Channels = 17, Height = 9, Width = 11)]
public sealed partial class BackZoo1x1
{
    [Conv(24)] public partial Conv Conv { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

[Network(Channels = 3, Height = 13, Width = 15)]
public sealed partial class BackZoo3x3Pad1
{
    [Conv(20, Kernel = 3, Padding = 1)] public partial Conv Conv { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

[Network(Channels = 7, Height = 10, Width = 10)]
public sealed partial class BackZoo3x3NoPadding
{
    [Conv(16, Kernel = 3, Relu = false)] public partial Conv Conv { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

[Network(Channels = 15, Height = 11, Width = 9)]
public sealed partial class BackZoo5x5
{
    [Conv(33, Kernel = 5, Padding = 2, Bias = false)] public partial Conv Conv { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

// The strided networks end in a 1x1 convolution: a network whose convolutions are all strided has no transposed
// convolution, and its generated PackTransposedWeights(begin, end) is a switch of only a default: CS0162 (a generator bug).
[Network(Channels = 3, Height = 17, Width = 19)]
public sealed partial class BackZoo7x7Stride2
{
    [Conv(16, Kernel = 7, Stride = 2, Padding = 3)] public partial Conv Conv { get; }
    [Conv(5, Relu = false)] public partial Conv Project { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

[Network(Channels = 33, Height = 9, Width = 9)]
public sealed partial class BackZoo3x3Stride2
{
    [Conv(8, Kernel = 3, Stride = 2, Padding = 1, Relu = false)] public partial Conv Conv { get; }
    [Conv(24, Bias = false)] public partial Conv Project { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

[Network(Channels = 16, Height = 6, Width = 30)]
public sealed partial class BackZooFourBlocks
{
    [Conv(64, Kernel = 3, Padding = 1)] public partial Conv Conv { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

[Network(Channels = 15, Height = 5, Width = 6)]
public sealed partial class BackZooPaddingBeyondHalf
{
    [Conv(17, Kernel = 3, Padding = 3, Bias = false, Relu = false)] public partial Conv Conv { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

[Network(Channels = 5, Height = 11, Width = 13)]
public sealed partial class BackZooChain
{
    [Conv(20, Kernel = 3, Padding = 1)] public partial Conv First { get; }
    [Conv(40, Kernel = 5, Stride = 2, Padding = 2)] public partial Conv Second { get; }
    [Conv(7, Kernel = 7, Padding = 3, Relu = false)] public partial Conv Third { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

[Network(Channels = 3, Height = 12, Width = 12)]
public sealed partial class BackZooStemThen1x1
{
    [Conv(16, Kernel = 7, Stride = 2, Padding = 3)] public partial Conv Stem { get; }
    [Conv(20, Kernel = 1)] public partial Conv Reduce { get; }
    [Conv(33, Kernel = 3, Padding = 1)] public partial Conv Expand { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

// Rectangular kernels (Inception-v3's 1x7/7x1 and 1x3/3x1 pairs, where the second's input gradient is a transposed
// convolution padded by 6x0 or 2x0), and rectangular strides (3x5 stride 2x1, 5x3 stride 1x2) inside a chain.
[Network(Channels = 5, Height = 9, Width = 11)]
public sealed partial class BackZoo1x7Then7x1
{
    [Conv(20, KernelHeight = 1, KernelWidth = 7, PaddingWidth = 3)] public partial Conv Wide { get; }
    [Conv(17, KernelHeight = 7, KernelWidth = 1, PaddingHeight = 3, Relu = false)] public partial Conv Tall { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

[Network(Channels = 16, Height = 6, Width = 7)]
public sealed partial class BackZoo1x3Then3x1
{
    [Conv(33, KernelHeight = 1, KernelWidth = 3, PaddingWidth = 1)] public partial Conv Wide { get; }
    [Conv(16, KernelHeight = 3, KernelWidth = 1, PaddingHeight = 1, Bias = false)] public partial Conv Tall { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

[Network(Channels = 7, Height = 11, Width = 10)]
public sealed partial class BackZoo3x5Stride2x1
{
    [Conv(16, Kernel = 3, Padding = 1)] public partial Conv First { get; }
    [Conv(24, KernelHeight = 3, KernelWidth = 5, StrideHeight = 2, StrideWidth = 1, PaddingHeight = 1, PaddingWidth = 2)] public partial Conv Second { get; }
    [Conv(5, Relu = false)] public partial Conv Project { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

[Network(Channels = 3, Height = 9, Width = 12)]
public sealed partial class BackZoo5x3Stride1x2
{
    [Conv(16, KernelHeight = 5, KernelWidth = 3, StrideHeight = 1, StrideWidth = 2, PaddingHeight = 2, PaddingWidth = 1)] public partial Conv First { get; }
    [Conv(7, KernelHeight = 1, KernelWidth = 3, PaddingWidth = 1, Relu = false)] public partial Conv Second { get; }
    [Flatten] public partial Flatten Flatten { get; }
    [Linear(3)] public partial Linear Classifier { get; }
}

/// <summary>
/// A backward-zoo network: how to make it, its input, its convolutions in order with their declared specs, and its
/// classifier. <see cref="Gradients"/> computes every gradient of the generated training loss with the plain
/// reference: the forward in double (<see cref="NchwReference"/>), the loss with <see cref="SoftmaxCrossEntropy"/>,
/// the classifier's backward written out here, and each convolution's backward with <see cref="ReferenceBackward.Conv2d"/>.
/// </summary>
internal sealed record BackwardZooNet(string Name, FeatureShape Input, Func<int, ITrainableNetwork> Create, InputBackward<ITrainableNetwork> Backward,
    (Func<ITrainableNetwork, Conv> Layer, ConvSpec Spec)[] Convolutions, Func<ITrainableNetwork, Linear> Classifier, int Classes)
{
    /// <summary>Each convolution's spec with the shape it reads.</summary>
    public IEnumerable<(ConvSpec Spec, FeatureShape Input)> Shapes()
    {
        var shape = Input;
        foreach (var (_, spec) in Convolutions)
        {
            yield return (spec, shape);
            shape = spec.Output(shape);
        }
    }

    /// <summary>
    /// Reference gradients of the mean loss over <paramref name="labels"/>.Length images: each parameter tensor's by
    /// name (as in <c>ParameterTensors</c>), and the NCHW input's.
    /// </summary>
    public (Dictionary<string, float[]> Parameters, float[] Input) Gradients(ITrainableNetwork net, float[] images, int[] labels)
    {
        var batch = labels.Length;
        var shapes = Shapes().ToArray();
        var layers = Convolutions.Select(c => c.Layer(net)).ToArray();
        var classifier = Classifier(net);
        var weights = layers.Select(layer => layer.Weights.ToArray()).ToArray();
        var classifierWeights = classifier.Weights.ToArray();
        var parameterGradients = new Dictionary<string, float[]>();
        for (var l = 0; l < layers.Length; l++)
        {
            parameterGradients[layers[l].WeightsTensor.Name] = new float[weights[l].Length];
            if (layers[l].BiasTensor is { } bias)
            {
                parameterGradients[bias.Name] = new float[bias.Length];
            }
        }

        var classifierGradient = new float[classifierWeights.Length];
        var classifierBiasGradient = new float[Classes];
        var inputGradient = new float[images.Length];
        for (var image = 0; image < batch; image++)
        {
            // Forward in double, keeping every layer's input and output (NCHW).
            var activations = new float[shapes.Length + 1][];
            activations[0] = images.AsSpan(image * Input.Length, Input.Length).ToArray();
            for (var l = 0; l < shapes.Length; l++)
            {
                var (spec, shape) = shapes[l];
                activations[l + 1] = spec.Reference(activations[l], shape, weights[l], spec.Bias ? layers[l].Bias.ToArray() : null);
            }

            var features = activations[^1];
            var logits = new float[Classes];
            for (var k = 0; k < Classes; k++)
            {
                double sum = classifier.Bias[k];
                for (var f = 0; f < features.Length; f++)
                {
                    sum += (double)classifierWeights[k * features.Length + f] * features[f];
                }

                logits[k] = (float)sum;
            }

            // The training loss is the mean over the batch: each image's logit gradient is scaled by 1/batch.
            var logitGradient = new float[Classes];
            SoftmaxCrossEntropy.Loss(logits, labels[image], logitGradient, 1f / batch);

            var outputGradient = new float[features.Length];
            for (var k = 0; k < Classes; k++)
            {
                classifierBiasGradient[k] += logitGradient[k];
                for (var f = 0; f < features.Length; f++)
                {
                    classifierGradient[k * features.Length + f] += logitGradient[k] * features[f];
                    outputGradient[f] += logitGradient[k] * classifierWeights[k * features.Length + f];
                }
            }

            // Each convolution from the last: the ReLU mask, then ReferenceBackward on the blocked layout.
            for (var l = shapes.Length - 1; l >= 0; l--)
            {
                var (spec, shape) = shapes[l];
                var output = spec.Output(shape);
                if (spec.Relu)
                {
                    ReferenceBackward.ReluMask(activations[l + 1], outputGradient);
                }

                var blockedInput = Blocked(activations[l], shape);
                var blockedOutputGradient = Blocked(outputGradient, output);
                var blockedInputGradient = new float[BlockedLayout.Length(shape.Channels, shape.Height, shape.Width)];
                var geometry = new ConvGeometry(shape.Channels, shape.Height, shape.Width, output.Channels, output.Height, output.Width,
                    spec.KernelY, spec.KernelX, spec.StrideY, spec.StrideX, spec.PaddingY, spec.PaddingX, spec.Relu);
                ReferenceBackward.Conv2d(blockedInput, [], blockedOutputGradient, weights[l], blockedInputGradient,
                    parameterGradients[layers[l].WeightsTensor.Name], spec.Bias ? parameterGradients[layers[l].BiasTensor!.Name] : [], geometry);

                outputGradient = new float[shape.Length];
                ReferenceKernels.BlockedToPlain(blockedInputGradient, [], outputGradient, shape.Channels, shape.Height, shape.Width);
            }

            outputGradient.CopyTo(inputGradient, image * Input.Length);
        }

        parameterGradients[classifier.WeightsTensor.Name] = classifierGradient;
        parameterGradients[classifier.BiasTensor!.Name] = classifierBiasGradient;
        return (parameterGradients, inputGradient);
    }

    private static float[] Blocked(float[] plain, FeatureShape shape)
    {
        var blocked = new float[BlockedLayout.Length(shape.Channels, shape.Height, shape.Width)];
        ReferenceKernels.PlainToBlocked(plain, blocked, shape.Channels, shape.Height, shape.Width);
        return blocked;
    }
}

/// <summary>The generated <c>Backward</c> overload that also computes the input's gradient (not on <see cref="ITrainableNetwork"/>).</summary>
internal delegate TrainingLoss InputBackward<in TNet>(TNet net, ReadOnlySpan<float> images, ReadOnlySpan<int> labels, int batch, Span<float> inputGradient);

/// <summary>The backward zoo, with every attribute written out again.</summary>
internal static class BackwardZoo
{
    private const int Classes = 3;

    private static BackwardZooNet Net<TNet>(FeatureShape input, Func<int, TNet> create, InputBackward<TNet> backward, Func<TNet, Linear> classifier,
        params (Func<TNet, Conv> Layer, ConvSpec Spec)[] convolutions)
        where TNet : ITrainableNetwork
        => new(typeof(TNet).Name, input, batch => create(batch), (net, images, labels, batch, gradient) => backward((TNet)net, images, labels, batch, gradient),
            convolutions.Select(c => ((Func<ITrainableNetwork, Conv>)(net => c.Layer((TNet)net)), c.Spec)).ToArray(),
            net => classifier((TNet)net), Classes);

    public static readonly BackwardZooNet[] Networks =
    [
        Net(new(17, 9, 11), b => new BackZoo1x1(b, 31), (n, i, l, b, g) => n.Backward(i, l, b, g), n => n.Classifier, (n => n.Conv, new ConvSpec(24))),
        Net(new(3, 13, 15), b => new BackZoo3x3Pad1(b, 32), (n, i, l, b, g) => n.Backward(i, l, b, g), n => n.Classifier, (n => n.Conv, new ConvSpec(20, Kernel: 3, Padding: 1))),
        Net(new(7, 10, 10), b => new BackZoo3x3NoPadding(b, 33), (n, i, l, b, g) => n.Backward(i, l, b, g), n => n.Classifier, (n => n.Conv, new ConvSpec(16, Kernel: 3, Relu: false))),
        Net(new(15, 11, 9), b => new BackZoo5x5(b, 34), (n, i, l, b, g) => n.Backward(i, l, b, g), n => n.Classifier, (n => n.Conv, new ConvSpec(33, Kernel: 5, Padding: 2, Bias: false))),
        Net(new(3, 17, 19), b => new BackZoo7x7Stride2(b, 35), (n, i, l, b, g) => n.Backward(i, l, b, g), n => n.Classifier,
            (n => n.Conv, new ConvSpec(16, Kernel: 7, Stride: 2, Padding: 3)), (n => n.Project, new ConvSpec(5, Relu: false))),
        Net(new(33, 9, 9), b => new BackZoo3x3Stride2(b, 36), (n, i, l, b, g) => n.Backward(i, l, b, g), n => n.Classifier,
            (n => n.Conv, new ConvSpec(8, Kernel: 3, Stride: 2, Padding: 1, Relu: false)), (n => n.Project, new ConvSpec(24, Bias: false))),
        Net(new(16, 6, 30), b => new BackZooFourBlocks(b, 37), (n, i, l, b, g) => n.Backward(i, l, b, g), n => n.Classifier, (n => n.Conv, new ConvSpec(64, Kernel: 3, Padding: 1))),
        Net(new(15, 5, 6), b => new BackZooPaddingBeyondHalf(b, 38), (n, i, l, b, g) => n.Backward(i, l, b, g), n => n.Classifier,
            (n => n.Conv, new ConvSpec(17, Kernel: 3, Padding: 3, Bias: false, Relu: false))),
        Net(new(5, 11, 13), b => new BackZooChain(b, 39), (n, i, l, b, g) => n.Backward(i, l, b, g), n => n.Classifier,
            (n => n.First, new ConvSpec(20, Kernel: 3, Padding: 1)),
            (n => n.Second, new ConvSpec(40, Kernel: 5, Stride: 2, Padding: 2)),
            (n => n.Third, new ConvSpec(7, Kernel: 7, Padding: 3, Relu: false))),
        Net(new(3, 12, 12), b => new BackZooStemThen1x1(b, 40), (n, i, l, b, g) => n.Backward(i, l, b, g), n => n.Classifier,
            (n => n.Stem, new ConvSpec(16, Kernel: 7, Stride: 2, Padding: 3)),
            (n => n.Reduce, new ConvSpec(20)),
            (n => n.Expand, new ConvSpec(33, Kernel: 3, Padding: 1))),
        Net(new(5, 9, 11), b => new BackZoo1x7Then7x1(b, 41), (n, i, l, b, g) => n.Backward(i, l, b, g), n => n.Classifier,
            (n => n.Wide, new ConvSpec(20, KernelHeight: 1, KernelWidth: 7, PaddingWidth: 3)),
            (n => n.Tall, new ConvSpec(17, KernelHeight: 7, KernelWidth: 1, PaddingHeight: 3, Relu: false))),
        Net(new(16, 6, 7), b => new BackZoo1x3Then3x1(b, 42), (n, i, l, b, g) => n.Backward(i, l, b, g), n => n.Classifier,
            (n => n.Wide, new ConvSpec(33, KernelHeight: 1, KernelWidth: 3, PaddingWidth: 1)),
            (n => n.Tall, new ConvSpec(16, KernelHeight: 3, KernelWidth: 1, PaddingHeight: 1, Bias: false))),
        Net(new(7, 11, 10), b => new BackZoo3x5Stride2x1(b, 43), (n, i, l, b, g) => n.Backward(i, l, b, g), n => n.Classifier,
            (n => n.First, new ConvSpec(16, Kernel: 3, Padding: 1)),
            (n => n.Second, new ConvSpec(24, KernelHeight: 3, KernelWidth: 5, StrideHeight: 2, StrideWidth: 1, PaddingHeight: 1, PaddingWidth: 2)),
            (n => n.Project, new ConvSpec(5, Relu: false))),
        Net(new(3, 9, 12), b => new BackZoo5x3Stride1x2(b, 44), (n, i, l, b, g) => n.Backward(i, l, b, g), n => n.Classifier,
            (n => n.First, new ConvSpec(16, KernelHeight: 5, KernelWidth: 3, StrideHeight: 1, StrideWidth: 2, PaddingHeight: 2, PaddingWidth: 1)),
            (n => n.Second, new ConvSpec(7, KernelHeight: 1, KernelWidth: 3, PaddingWidth: 1, Relu: false))),
    ];

    public static BackwardZooNet Get(string name) => Networks.Single(net => net.Name == name);
}
