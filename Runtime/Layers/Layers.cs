namespace InceptionGen;

/// <summary>The shape of one image's feature map: channels × height × width. A vector has height and width 1.</summary>
public readonly record struct FeatureShape(int Channels, int Height, int Width)
{
    /// <summary>Floats in one image's map.</summary>
    public int Length => Channels * Height * Width;

    public override string ToString() => $"{Channels}x{Height}x{Width}";
}

/// <summary>A declared layer: the handle the generated property returns.</summary>
public abstract class Layer(string name, FeatureShape outputShape)
{
    /// <summary>The declared property name.</summary>
    public string Name { get; } = name;

    /// <summary>Shape of the layer's output for one image.</summary>
    public FeatureShape OutputShape { get; } = outputShape;

    public override string ToString() => $"{Name} ({GetType().Name}) -> {OutputShape}";
}

/// <summary>A convolution (or, inside modules, a branch of one) with its weights (OIHW) and optional bias.</summary>
public sealed class Conv(string name, FeatureShape outputShape, ParameterStore parameters, ParameterTensor weights, ParameterTensor? bias,
    int kernelHeight, int kernelWidth, int strideHeight, int strideWidth, int paddingHeight, int paddingWidth, bool relu, BatchNormLayer? batchNorm = null) : Layer(name, outputShape)
{
    /// <summary>A convolution with a square kernel, stride and padding.</summary>
    public Conv(string name, FeatureShape outputShape, ParameterStore parameters, ParameterTensor weights, ParameterTensor? bias,
        int kernel, int stride, int padding, bool relu, BatchNormLayer? batchNorm = null)
        : this(name, outputShape, parameters, weights, bias, kernel, kernel, stride, stride, padding, padding, relu, batchNorm)
    {
    }

    /// <summary>The BatchNorm between the convolution and its ReLU (<c>[Conv(BatchNorm = true)]</c>), else null.</summary>
    public BatchNormLayer? BatchNorm { get; } = batchNorm;

    /// <summary>The weights' tensor in the parameter block: [out, in, kernel height, kernel width].</summary>
    public ParameterTensor WeightsTensor { get; } = weights;

    /// <summary>The bias tensor, or null when the layer has none.</summary>
    public ParameterTensor? BiasTensor { get; } = bias;

    /// <summary>Weights in PyTorch's OIHW order.</summary>
    public Span<float> Weights => parameters[WeightsTensor];

    /// <summary>The bias, or an empty span when the layer has none.</summary>
    public Span<float> Bias => BiasTensor is null ? Span<float>.Empty : parameters[BiasTensor];

    public int OutChannels => WeightsTensor.Shape[0];
    public int InChannels => WeightsTensor.Shape[1];
    public int KernelHeight { get; } = kernelHeight;
    public int KernelWidth { get; } = kernelWidth;
    public int StrideHeight { get; } = strideHeight;
    public int StrideWidth { get; } = strideWidth;
    public int PaddingHeight { get; } = paddingHeight;
    public int PaddingWidth { get; } = paddingWidth;
    public bool Relu { get; } = relu;
}

/// <summary>A max, average or global average pooling layer; it has no parameters.</summary>
public sealed class Pool(string name, FeatureShape outputShape) : Layer(name, outputShape);

/// <summary>
/// A BatchNorm (PyTorch's <c>BatchNorm2d</c>): the affine <see cref="Weight"/> and <see cref="Bias"/>, and the buffers
/// <see cref="RunningMean"/>, <see cref="RunningVariance"/> and <see cref="NumBatchesTracked"/>, which training updates
/// and the optimizer never touches.
/// </summary>
public sealed class BatchNormLayer(string name, FeatureShape outputShape, ParameterStore parameters,
    ParameterTensor weight, ParameterTensor bias, ParameterTensor runningMean, ParameterTensor runningVariance, ParameterTensor numBatchesTracked,
    double epsilon, double momentum, bool relu) : Layer(name, outputShape)
{
    public ParameterTensor WeightTensor { get; } = weight;
    public ParameterTensor BiasTensor { get; } = bias;
    public ParameterTensor RunningMeanTensor { get; } = runningMean;
    public ParameterTensor RunningVarianceTensor { get; } = runningVariance;
    public ParameterTensor NumBatchesTrackedTensor { get; } = numBatchesTracked;

    /// <summary>γ, one per channel.</summary>
    public Span<float> Weight => parameters[WeightTensor];

    /// <summary>β, one per channel.</summary>
    public Span<float> Bias => parameters[BiasTensor];

    public Span<float> RunningMean => parameters[RunningMeanTensor];

    public Span<float> RunningVariance => parameters[RunningVarianceTensor];

    /// <summary>Train-mode forwards so far (an integer, held as a float in the block; an I64 in weight files).</summary>
    public long NumBatchesTracked => (long)parameters.ReadOnlySpan[NumBatchesTrackedTensor.Offset];

    public int Channels => WeightTensor.Shape[0];
    public double Epsilon { get; } = epsilon;
    public double Momentum { get; } = momentum;
    /// <summary>Whether a ReLU follows the normalization.</summary>
    public bool Relu { get; } = relu;
}

/// <summary>A local response normalization layer; it has no parameters.</summary>
public sealed class Lrn(string name, FeatureShape outputShape) : Layer(name, outputShape);

/// <summary>A dropout layer; identity in inference.</summary>
public sealed class Dropout(string name, FeatureShape outputShape, float rate) : Layer(name, outputShape)
{
    public float Rate { get; } = rate;
}

/// <summary>A flatten layer; it has no parameters.</summary>
public sealed class Flatten(string name, FeatureShape outputShape) : Layer(name, outputShape);

/// <summary>A fully connected layer with weights [out, in] and optional bias.</summary>
public sealed class Linear(string name, FeatureShape outputShape, ParameterStore parameters, ParameterTensor weights, ParameterTensor? bias, bool relu)
    : Layer(name, outputShape)
{
    public ParameterTensor WeightsTensor { get; } = weights;
    public ParameterTensor? BiasTensor { get; } = bias;

    /// <summary>Weights as [out, in], row-major.</summary>
    public Span<float> Weights => parameters[WeightsTensor];

    /// <summary>The bias, or an empty span when the layer has none.</summary>
    public Span<float> Bias => BiasTensor is null ? Span<float>.Empty : parameters[BiasTensor];

    public int OutFeatures => WeightsTensor.Shape[0];
    public int InFeatures => WeightsTensor.Shape[1];
    public bool Relu { get; } = relu;
}

/// <summary>
/// An Inception module. Each branch's convolutions are reachable by name; a branch or reduction the
/// declaration sets to 0 is null.
/// </summary>
public sealed class Inception(string name, FeatureShape outputShape,
    Conv? branch1, Conv? branch2Reduce, Conv? branch2, Conv? branch3Reduce, Conv? branch3, Conv? branch4Projection, bool hasPoolBranch)
    : Layer(name, outputShape)
{
    /// <summary>The 1x1 branch (Caffe's <c>1x1</c>).</summary>
    public Conv? Branch1 { get; } = branch1;
    /// <summary>The 1x1 bottleneck before the 3x3 (Caffe's <c>3x3_reduce</c>).</summary>
    public Conv? Branch2Reduce { get; } = branch2Reduce;
    /// <summary>The 3x3 convolution (Caffe's <c>3x3</c>).</summary>
    public Conv? Branch2 { get; } = branch2;
    /// <summary>The 1x1 bottleneck before the 5x5 (Caffe's <c>5x5_reduce</c>).</summary>
    public Conv? Branch3Reduce { get; } = branch3Reduce;
    /// <summary>The 5x5 convolution (Caffe's <c>5x5</c>).</summary>
    public Conv? Branch3 { get; } = branch3;
    /// <summary>The 1x1 projection after the 3x3 max-pool (Caffe's <c>pool_proj</c>); null when the pool passes straight through.</summary>
    public Conv? Branch4Projection { get; } = branch4Projection;
    /// <summary>Whether the module has its pooling branch.</summary>
    public bool HasPoolBranch { get; } = hasPoolBranch;

    /// <summary>The module's convolutions in branch order, skipping absent ones.</summary>
    public IEnumerable<Conv> Convolutions
    {
        get
        {
            foreach (var conv in new[] { Branch1, Branch2Reduce, Branch2, Branch3Reduce, Branch3, Branch4Projection })
            {
                if (conv is not null)
                {
                    yield return conv;
                }
            }
        }
    }
}

/// <summary>
/// A user-declared module (<see cref="ModuleAttribute"/>): its convolutions, in branch order, by their weight-file names.
/// </summary>
public sealed class Module(string name, FeatureShape outputShape, IReadOnlyList<Conv> convolutions) : Layer(name, outputShape)
{
    /// <summary>Every convolution of the module, nested modules included, in branch order.</summary>
    public IReadOnlyList<Conv> Convolutions { get; } = convolutions;

    /// <summary>The convolution at <paramref name="name"/> inside the module, as its weight-file names have it (<c>branch7x7_1</c>, <c>branch2.0</c>).</summary>
    public Conv this[string name]
    {
        get
        {
            foreach (var conv in Convolutions)
            {
                if (conv.Name == Name + "." + name || conv.Name == Name + "." + name + ".Conv")
                {
                    return conv;
                }
            }

            throw new KeyNotFoundException($"Module '{Name}' has no convolution '{name}'.");
        }
    }
}

/// <summary>
/// An auxiliary classifier head: pool → <see cref="Conv"/> (→ <see cref="SecondConv"/>) → <see cref="Hidden"/> → dropout →
/// <see cref="Classifier"/>; a head without a hidden layer or a second convolution (torchvision's Inception-v3 head) has
/// null there.
/// </summary>
public sealed class AuxiliaryClassifier(string name, FeatureShape outputShape, string tappedLayer, float lossWeight, Conv conv, Linear? hidden, Linear classifier, float dropoutRate,
    Conv? secondConv = null)
    : Layer(name, outputShape)
{
    /// <summary>Name of the layer whose output the head reads.</summary>
    public string TappedLayer { get; } = tappedLayer;
    /// <summary>Weight of this head's loss in training.</summary>
    public float LossWeight { get; } = lossWeight;
    /// <summary>The first convolution (with its BatchNorm when the head's convolutions are BasicConv2d).</summary>
    public Conv Conv { get; } = conv;
    /// <summary>The second convolution (Inception-v3's 5x5), or null.</summary>
    public Conv? SecondConv { get; } = secondConv;
    /// <summary>The hidden fully connected layer with ReLU, or null when the classifier reads the flattened map.</summary>
    public Linear? Hidden { get; } = hidden;
    public Linear Classifier { get; } = classifier;
    /// <summary>The dropout before the classifier; 0 when there is none.</summary>
    public float DropoutRate { get; } = dropoutRate;

    /// <summary>The head's convolutions and fully connected layers in order, skipping absent ones.</summary>
    public IEnumerable<Layer> WeightedLayers
    {
        get
        {
            foreach (var layer in new Layer?[] { Conv, SecondConv, Hidden, Classifier })
            {
                if (layer is not null)
                {
                    yield return layer;
                }
            }
        }
    }
}
