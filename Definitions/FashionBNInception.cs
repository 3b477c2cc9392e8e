namespace InceptionGen.Definitions;

/// <summary>
/// BN-Inception's ideas (Ioffe and Szegedy, 2015) sized for Fashion-MNIST (1x28x28, 10 classes): every stem
/// convolution is a <c>BasicConv2d</c> (convolution, BatchNorm, ReLU), every Inception module's concatenated output is
/// batch-normalized, and there is no auxiliary head (BN-Inception trains without needing one). Two modules at 14x14
/// and two at 7x7, global average pooling, a light dropout and one Linear layer. Every branch width is a multiple of
/// 16, so the concats have no gaps.
/// </summary>
[Network(Channels = 1, Height = 28, Width = 28)]
public sealed partial class FashionBNInception
{
    // Stem: two 3x3 BasicConv2d at 28x28, then a 3x3/2 max pool to 14x14.
    [Conv(32, Kernel = 3, Padding = 1, BatchNorm = true)]           public partial Conv Conv1 { get; }
    [Conv(64, Kernel = 3, Padding = 1, BatchNorm = true)]           public partial Conv Conv2 { get; }
    [MaxPool(3, Stride = 2, CeilMode = true)]                       public partial Pool Pool1 { get; }

    // #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj; each module's branches end in ReLU, then BN.
    [Inception(48, 48, 64, 16, 32, 32)]                             public partial Inception Inception3a { get; }
    [BatchNorm]                                                     public partial BatchNormLayer Norm3a { get; }
    [Inception(64, 64, 96, 32, 48, 48)]                             public partial Inception Inception3b { get; }
    [BatchNorm]                                                     public partial BatchNormLayer Norm3b { get; }
    [MaxPool(3, Stride = 2, CeilMode = true)]                       public partial Pool Pool2 { get; }
    [Inception(96, 64, 128, 32, 64, 64)]                            public partial Inception Inception4a { get; }
    [BatchNorm]                                                     public partial BatchNormLayer Norm4a { get; }
    [Inception(128, 96, 160, 32, 64, 64)]                           public partial Inception Inception4b { get; }
    [BatchNorm]                                                     public partial BatchNormLayer Norm4b { get; }

    [GlobalAveragePool]                                             public partial Pool Pool3 { get; }
    [Dropout(0.2f)]                                                 public partial Dropout Dropout { get; }
    [Linear(10)]                                                    public partial Linear Classifier { get; }
}
