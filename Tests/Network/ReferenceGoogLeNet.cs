using InceptionGen.Definitions;
using InceptionGen.Tests.Reference;

namespace InceptionGen.Tests.Network;

/// <summary>One image's feature map in plain NCHW order, with its shape.</summary>
internal readonly record struct Map(float[] Values, FeatureShape Shape)
{
    public Map(float[] values, int channels, int height, int width) : this(values, new FeatureShape(channels, height, width))
    {
    }
}

/// <summary>
/// The layers of the reference networks, built only from <see cref="NchwReference"/> ops. Every shape
/// comes from the caller (the structure written by hand); the generated network contributes nothing but
/// its parameter values, read through the layer handles, and each is checked to have exactly the length
/// the hand-written structure implies.
/// </summary>
internal static class ReferenceOps
{
    /// <summary>A convolution with a bias (every convolution of GoogLeNet has one) and, by default, ReLU.</summary>
    public static Map Conv(Map x, Conv layer, int outChannels, int kernel, int stride = 1, int padding = 0, bool relu = true)
    {
        var weights = Values(layer.Weights, outChannels * x.Shape.Channels * kernel * kernel, layer.Name + ".Weights");
        var bias = Values(layer.Bias, outChannels, layer.Name + ".Bias");
        var output = NchwReference.Conv2d(x.Values, x.Shape, weights, bias, outChannels, kernel, stride, padding, relu);
        return new Map(output, outChannels,
            NchwReference.OutputSize(x.Shape.Height, kernel, stride, padding), NchwReference.OutputSize(x.Shape.Width, kernel, stride, padding));
    }

    public static Map MaxPool(Map x, int kernel, int stride, int padding, bool ceilMode)
    {
        var (height, width) = PoolOutput(x.Shape, kernel, stride, padding, ceilMode);
        return new Map(NchwReference.MaxPool2d(x.Values, x.Shape, kernel, stride, padding, height, width), x.Shape.Channels, height, width);
    }

    public static Map AvgPool(Map x, int kernel, int stride, int padding, bool ceilMode)
    {
        var (height, width) = PoolOutput(x.Shape, kernel, stride, padding, ceilMode);
        return new Map(NchwReference.AvgPool2d(x.Values, x.Shape, kernel, stride, padding, height, width), x.Shape.Channels, height, width);
    }

    public static Map GlobalAveragePool(Map x) => new(NchwReference.GlobalAveragePool(x.Values, x.Shape), x.Shape.Channels, 1, 1);

    public static Map LocalResponseNorm(Map x, int size, float alpha, float beta, float k)
        => x with { Values = NchwReference.LocalResponseNorm(x.Values, x.Shape, size, alpha, beta, k) };

    /// <summary>PyTorch's <c>flatten(1)</c>: an NCHW map is already the vector, in that order.</summary>
    public static Map Flatten(Map x) => new(x.Values, x.Shape.Length, 1, 1);

    public static Map Linear(Map x, Linear layer, int outFeatures, bool bias, bool relu)
    {
        var weights = Values(layer.Weights, outFeatures * x.Values.Length, layer.Name + ".Weights");
        float[]? biasValues = null;
        if (bias)
        {
            biasValues = Values(layer.Bias, outFeatures, layer.Name + ".Bias");
        }
        else if (!layer.Bias.IsEmpty)
        {
            throw new InvalidOperationException($"{layer.Name} should have no bias, but the generated network gives it {layer.Bias.Length} floats.");
        }

        return new Map(NchwReference.Linear(x.Values, weights, biasValues, outFeatures, relu), outFeatures, 1, 1);
    }

    public static Map Concat(params Map[] branches)
    {
        var first = branches[0].Shape;
        if (branches.Any(branch => branch.Shape.Height != first.Height || branch.Shape.Width != first.Width))
        {
            throw new InvalidOperationException("Concatenated branches must have the same height and width.");
        }

        return new Map(NchwReference.ConcatChannels(branches.Select(branch => branch.Values).ToArray()),
            branches.Sum(branch => branch.Shape.Channels), first.Height, first.Width);
    }

    /// <summary>
    /// An Inception module with the six numbers of table 1 of the paper: 1x1; 1x1 reduce → 3x3 pad 1;
    /// 1x1 reduce → 5x5 pad 2; max pool 3x3/1 pad 1 → 1x1 projection; every convolution with ReLU, the
    /// branches concatenated in that order. A 0 reduce or projection means none (the convolution or the
    /// pool reads the module's input directly); a 0 branch width drops the branch. The handles of absent
    /// convolutions must be null, and those of present ones not.
    /// </summary>
    public static Map Inception(Map x, Inception module, int branch1x1, int reduce3x3, int branch3x3, int reduce5x5, int branch5x5, int poolProjection)
    {
        var branches = new List<Map>();
        if (branch1x1 > 0)
        {
            branches.Add(Conv(x, Present(module.Branch1, module, "Branch1"), branch1x1, kernel: 1));
        }
        else
        {
            Absent(module.Branch1, module, "Branch1");
        }

        branches.AddRange(ReducedBranch(x, module, module.Branch2Reduce, module.Branch2, "Branch2", reduce3x3, branch3x3, kernel: 3));
        branches.AddRange(ReducedBranch(x, module, module.Branch3Reduce, module.Branch3, "Branch3", reduce5x5, branch5x5, kernel: 5));

        var pooled = MaxPool(x, kernel: 3, stride: 1, padding: 1, ceilMode: false);
        if (poolProjection > 0)
        {
            branches.Add(Conv(pooled, Present(module.Branch4Projection, module, "Branch4Projection"), poolProjection, kernel: 1));
        }
        else
        {
            Absent(module.Branch4Projection, module, "Branch4Projection");
            branches.Add(pooled);
        }

        return Concat(branches.ToArray());
    }

    private static IEnumerable<Map> ReducedBranch(Map x, Inception module, Conv? reduce, Conv? conv, string name, int reduceWidth, int width, int kernel)
    {
        if (reduceWidth > 0)
        {
            x = Conv(x, Present(reduce, module, name + "Reduce"), reduceWidth, kernel: 1);
        }
        else
        {
            Absent(reduce, module, name + "Reduce");
        }

        if (width == 0)
        {
            Absent(conv, module, name);
            return [];
        }

        return [Conv(x, Present(conv, module, name), width, kernel, padding: kernel / 2)];
    }

    private static Conv Present(Conv? conv, Inception module, string branch)
        => conv ?? throw new InvalidOperationException($"{module.Name}.{branch} is null, but the reference has that convolution.");

    private static void Absent(Conv? conv, Inception module, string branch)
    {
        if (conv is not null)
        {
            throw new InvalidOperationException($"{module.Name}.{branch} exists, but the reference has no such convolution.");
        }
    }

    private static (int Height, int Width) PoolOutput(FeatureShape shape, int kernel, int stride, int padding, bool ceilMode)
        => (NchwReference.OutputSize(shape.Height, kernel, stride, padding, ceilMode), NchwReference.OutputSize(shape.Width, kernel, stride, padding, ceilMode));

    /// <summary>A copy of a parameter tensor, after checking it has the length the reference's own shapes imply.</summary>
    private static float[] Values(Span<float> parameters, int expectedLength, string name)
    {
        if (parameters.Length != expectedLength)
        {
            throw new InvalidOperationException($"{name} holds {parameters.Length} floats; the reference's structure needs {expectedLength}.");
        }

        return parameters.ToArray();
    }
}

/// <summary>
/// GoogLeNet evaluated with nothing but <see cref="NchwReference"/> ops, written from the paper (table 1
/// of Szegedy et al. 2014) and Caffe's bvlc_googlenet rather than from the generator or its planner.
/// Only the parameter values come from the generated network, through its layer handles.
/// </summary>
internal static class ReferenceGoogLeNet
{
    /// <summary>One 3x224x224 image (NCHW) to its 1000 logits.</summary>
    public static float[] Forward(GoogLeNet net, float[] image)
    {
        var x = new Map(image, 3, 224, 224);

        // Stem.
        x = ReferenceOps.Conv(x, net.Conv1, 64, kernel: 7, stride: 2, padding: 3);            // 64x112x112
        x = ReferenceOps.MaxPool(x, kernel: 3, stride: 2, padding: 0, ceilMode: true);         // 64x56x56
        x = ReferenceOps.LocalResponseNorm(x, size: 5, alpha: 1e-4f, beta: 0.75f, k: 1f);
        x = ReferenceOps.Conv(x, net.Conv2Reduce, 64, kernel: 1);
        x = ReferenceOps.Conv(x, net.Conv2, 192, kernel: 3, padding: 1);                       // 192x56x56
        x = ReferenceOps.LocalResponseNorm(x, size: 5, alpha: 1e-4f, beta: 0.75f, k: 1f);
        x = ReferenceOps.MaxPool(x, kernel: 3, stride: 2, padding: 0, ceilMode: true);         // 192x28x28

        // Table 1: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
        x = ReferenceOps.Inception(x, net.Inception3a, 64, 96, 128, 16, 32, 32);                // 256x28x28
        x = ReferenceOps.Inception(x, net.Inception3b, 128, 128, 192, 32, 96, 64);              // 480x28x28
        x = ReferenceOps.MaxPool(x, kernel: 3, stride: 2, padding: 0, ceilMode: true);         // 480x14x14
        x = ReferenceOps.Inception(x, net.Inception4a, 192, 96, 208, 16, 48, 64);               // 512x14x14
        x = ReferenceOps.Inception(x, net.Inception4b, 160, 112, 224, 24, 64, 64);              // 512x14x14
        x = ReferenceOps.Inception(x, net.Inception4c, 128, 128, 256, 24, 64, 64);              // 512x14x14
        x = ReferenceOps.Inception(x, net.Inception4d, 112, 144, 288, 32, 64, 64);              // 528x14x14
        x = ReferenceOps.Inception(x, net.Inception4e, 256, 160, 320, 32, 128, 128);            // 832x14x14
        x = ReferenceOps.MaxPool(x, kernel: 3, stride: 2, padding: 0, ceilMode: true);         // 832x7x7
        x = ReferenceOps.Inception(x, net.Inception5a, 256, 160, 320, 32, 128, 128);            // 832x7x7
        x = ReferenceOps.Inception(x, net.Inception5b, 384, 192, 384, 48, 128, 128);            // 1024x7x7

        // Head: global average pool, dropout (identity in inference), linear 1000 without ReLU.
        // The auxiliary classifiers after 4a and 4d are training only.
        x = ReferenceOps.GlobalAveragePool(x);                                                  // 1024x1x1
        return ReferenceOps.Linear(x, net.Classifier, 1000, bias: true, relu: false).Values;
    }

    /// <summary>The cs231n naive module on one 256x28x28 image: 1x1 128, 3x3 192, 5x5 96, and the 3x3 max pool's 256 channels.</summary>
    public static Map Forward(NaiveInceptionModule net, float[] image)
        => ReferenceOps.Inception(new Map(image, 256, 28, 28), net.Module, 128, 0, 192, 0, 96, 0);

    /// <summary>The bottleneck module on one 256x28x28 image: 1x1 128; 1x1 64 → 3x3 192; 1x1 64 → 5x5 96; pool → 1x1 64.</summary>
    public static Map Forward(BottleneckInceptionModule net, float[] image)
        => ReferenceOps.Inception(new Map(image, 256, 28, 28), net.Module, 128, 64, 192, 64, 96, 64);
}
