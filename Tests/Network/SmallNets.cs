namespace InceptionGen.Tests.Network;

// Small networks declared in the test project itself, so the generator runs on them at build time (the
// Tests project references it as an analyzer too). Their branch widths are not multiples of 16, so their
// concats leave gaps and their tensors carry channel maps: the end-to-end tests of those paths. Each has
// a hand-written plain NCHW reference below, which reads only the weights from the layer handles.

/// <summary>
/// 3x20x20 → conv 3x3/2 → max pool 3x3/2 ceil (5x5; floor mode would give 4x4) → LRN (strong, so it
/// matters) → Inception with a 24-, 40-, 8- and 8-wide slice (gaps after each) → Inception with no 3x3
/// reduce and a pass-through pool, which keeps its gapped input's channel map inside its own → average pool
/// 2x2/2 ceil (the last window hangs past the input) → auxiliary head (training only) → global average pool
/// → dropout → Linear 5 reading the gapped vector through its channel map.
/// </summary>
[Network(Channels = 3, Height = 20, Width = 20)]
public sealed partial class SmallInceptionNet
{
    [Conv(20, Kernel = 3, Stride = 2, Padding = 1)]                 public partial Conv Conv1 { get; }
    [MaxPool(3, Stride = 2, CeilMode = true)]                       public partial Pool Pool1 { get; }
    [LocalResponseNorm(5, Alpha = 0.5f, Beta = 0.75f, K = 2f)]      public partial Lrn Norm1 { get; }
    [Inception(24, 16, 40, 8, 8, 8)]                                public partial Inception Mixed1 { get; }
    [Inception(8, 0, 12, 4, 20, 0)]                                 public partial Inception Mixed2 { get; }
    [AvgPool(2, Stride = 2, CeilMode = true)]                       public partial Pool Pool2 { get; }
    [AuxiliaryClassifier(5, PoolKernel = 3, PoolStride = 2)]        public partial AuxiliaryClassifier Aux { get; }
    [GlobalAveragePool]                                             public partial Pool Pool3 { get; }
    [Dropout(0.4f)]                                                 public partial Dropout Dropout { get; }
    [Linear(5)]                                                     public partial Linear Classifier { get; }
}

/// <summary>
/// A non-square 5x9x11 input straight into an Inception without its 5x5 branch (3-, 7- and 6-wide slices) →
/// LRN across the gaps → max pool 2x2/2 ceil → Inception without its 3x3 branch and with a pass-through
/// pool → average pool 3x3/2 pad 1 (the divisor counts padding) → flatten through the channel map →
/// Linear 7 + ReLU → dropout → Linear 4 without bias.
/// </summary>
[Network(Channels = 5, Height = 9, Width = 11)]
public sealed partial class SmallGappedNet
{
    [Inception(3, 5, 7, 0, 0, 6)]                                   public partial Inception Mixed1 { get; }
    [LocalResponseNorm(3, Alpha = 1f, Beta = 0.5f, K = 1f)]         public partial Lrn Norm { get; }
    [MaxPool(2, Stride = 2, CeilMode = true)]                       public partial Pool Pool1 { get; }
    [Inception(4, 0, 0, 2, 5, 0)]                                   public partial Inception Mixed2 { get; }
    [AvgPool(3, Stride = 2, Padding = 1)]                           public partial Pool Pool2 { get; }
    [Flatten]                                                       public partial Flatten Flatten { get; }
    [Linear(7, Relu = true)]                                        public partial Linear Hidden { get; }
    [Dropout(0.5f)]                                                 public partial Dropout Dropout { get; }
    [Linear(4, Bias = false)]                                       public partial Linear Classifier { get; }
}

/// <summary>Hand-written NCHW references of the small networks, one image at a time.</summary>
internal static class SmallNetReference
{
    public static float[] Forward(SmallInceptionNet net, float[] image)
    {
        var x = new Map(image, new FeatureShape(3, 20, 20));
        x = ReferenceOps.Conv(x, net.Conv1, 20, kernel: 3, stride: 2, padding: 1);
        x = ReferenceOps.MaxPool(x, kernel: 3, stride: 2, padding: 0, ceilMode: true);
        x = ReferenceOps.LocalResponseNorm(x, size: 5, alpha: 0.5f, beta: 0.75f, k: 2f);
        x = ReferenceOps.Inception(x, net.Mixed1, 24, 16, 40, 8, 8, 8);
        x = ReferenceOps.Inception(x, net.Mixed2, 8, 0, 12, 4, 20, 0);
        x = ReferenceOps.AvgPool(x, kernel: 2, stride: 2, padding: 0, ceilMode: true);
        // The auxiliary head is training only, and dropout is identity in inference.
        x = ReferenceOps.GlobalAveragePool(x);
        return ReferenceOps.Linear(x, net.Classifier, 5, bias: true, relu: false).Values;
    }

    public static float[] Forward(SmallGappedNet net, float[] image)
    {
        var x = new Map(image, new FeatureShape(5, 9, 11));
        x = ReferenceOps.Inception(x, net.Mixed1, 3, 5, 7, 0, 0, 6);
        x = ReferenceOps.LocalResponseNorm(x, size: 3, alpha: 1f, beta: 0.5f, k: 1f);
        x = ReferenceOps.MaxPool(x, kernel: 2, stride: 2, padding: 0, ceilMode: true);
        x = ReferenceOps.Inception(x, net.Mixed2, 4, 0, 0, 2, 5, 0);
        x = ReferenceOps.AvgPool(x, kernel: 3, stride: 2, padding: 1, ceilMode: false);
        x = ReferenceOps.Flatten(x);
        x = ReferenceOps.Linear(x, net.Hidden, 7, bias: true, relu: true);
        return ReferenceOps.Linear(x, net.Classifier, 4, bias: false, relu: false).Values;
    }
}
