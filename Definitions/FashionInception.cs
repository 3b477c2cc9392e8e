namespace InceptionGen.Definitions;

/// <summary>
/// GoogLeNet's idea scaled to Fashion-MNIST (1x28x28, 10 classes): a small stem, two Inception modules at 14x14
/// with an auxiliary classifier after the first, two at 7x7, then global average pooling, dropout and one Linear
/// layer. Every branch width is a multiple of 16, so the concats have no gaps.
/// </summary>
[Network(Channels = 1, Height = 28, Width = 28)]
public sealed partial class FashionInception
{
    // Stem: two 3x3 convolutions at 28x28, then a 3x3/2 max pool to 14x14.
    [Conv(32, Kernel = 3, Padding = 1)]                             public partial Conv Conv1 { get; }
    [Conv(64, Kernel = 3, Padding = 1)]                             public partial Conv Conv2 { get; }
    [MaxPool(3, Stride = 2, CeilMode = true)]                       public partial Pool Pool1 { get; }

    // #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
    [Inception(32, 48, 64, 16, 16, 16)]                             public partial Inception Inception3a { get; }
    [AuxiliaryClassifier(10, PoolKernel = 5, PoolStride = 3, ConvChannels = 64, HiddenUnits = 256)] public partial AuxiliaryClassifier Aux { get; }
    [Inception(64, 64, 96, 16, 32, 32)]                             public partial Inception Inception3b { get; }
    [MaxPool(3, Stride = 2, CeilMode = true)]                       public partial Pool Pool2 { get; }
    [Inception(96, 64, 128, 16, 32, 64)]                            public partial Inception Inception4a { get; }
    [Inception(128, 96, 160, 32, 64, 64)]                           public partial Inception Inception4b { get; }

    [GlobalAveragePool]                                             public partial Pool Pool3 { get; }
    [Dropout(0.4f)]                                                 public partial Dropout Dropout { get; }
    [Linear(10)]                                                    public partial Linear Classifier { get; }
}
