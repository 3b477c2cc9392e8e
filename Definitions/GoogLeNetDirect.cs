namespace InceptionGen.Definitions;

/// <summary>
/// <see cref="GoogLeNet"/> with every convolution forced direct (<c>ConvolutionAlgorithm.Direct</c>), forward and backward:
/// the baseline the benchmarks measure Winograd's gain against in the same run, and what the tests compare GoogLeNet's
/// Winograd layers with. The layers must stay GoogLeNet's; <c>GoogLeNetDirectTests</c> checks that they do.
/// </summary>
[Network(Channels = 3, Height = 224, Width = 224, Convolution = ConvolutionAlgorithm.Direct)]
public sealed partial class GoogLeNetDirect
{
    // Stem: conv 7x7/2 → max pool 3x3/2 → LRN → conv 1x1 → conv 3x3 → LRN → max pool 3x3/2.
    [Conv(64, Kernel = 7, Stride = 2, Padding = 3)]        public partial Conv Conv1 { get; }
    [MaxPool(3, Stride = 2, CeilMode = true)]               public partial Pool Pool1 { get; }
    [LocalResponseNorm(5, Alpha = 1e-4f, Beta = 0.75f)]     public partial Lrn Norm1 { get; }
    [Conv(64, Kernel = 1)]                                  public partial Conv Conv2Reduce { get; }
    [Conv(192, Kernel = 3, Padding = 1)]                    public partial Conv Conv2 { get; }
    [LocalResponseNorm(5, Alpha = 1e-4f, Beta = 0.75f)]     public partial Lrn Norm2 { get; }
    [MaxPool(3, Stride = 2, CeilMode = true)]               public partial Pool Pool2 { get; }

    // #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj (table 1).
    [Inception(64, 96, 128, 16, 32, 32)]                    public partial Inception Inception3a { get; }
    [Inception(128, 128, 192, 32, 96, 64)]                  public partial Inception Inception3b { get; }
    [MaxPool(3, Stride = 2, CeilMode = true)]               public partial Pool Pool3 { get; }
    [Inception(192, 96, 208, 16, 48, 64)]                   public partial Inception Inception4a { get; }
    [AuxiliaryClassifier(1000, LossWeight = 0.3f)]          public partial AuxiliaryClassifier Aux1 { get; }
    [Inception(160, 112, 224, 24, 64, 64)]                  public partial Inception Inception4b { get; }
    [Inception(128, 128, 256, 24, 64, 64)]                  public partial Inception Inception4c { get; }
    [Inception(112, 144, 288, 32, 64, 64)]                  public partial Inception Inception4d { get; }
    [AuxiliaryClassifier(1000, LossWeight = 0.3f)]          public partial AuxiliaryClassifier Aux2 { get; }
    [Inception(256, 160, 320, 32, 128, 128)]                public partial Inception Inception4e { get; }
    [MaxPool(3, Stride = 2, CeilMode = true)]               public partial Pool Pool4 { get; }
    [Inception(256, 160, 320, 32, 128, 128)]                public partial Inception Inception5a { get; }
    [Inception(384, 192, 384, 48, 128, 128)]                public partial Inception Inception5b { get; }

    // Head: global average pooling instead of large fully connected layers.
    [GlobalAveragePool]                                     public partial Pool Pool5 { get; }
    [Dropout(0.4f)]                                         public partial Dropout Dropout { get; }
    [Linear(1000)]                                          public partial Linear Classifier { get; }
}
