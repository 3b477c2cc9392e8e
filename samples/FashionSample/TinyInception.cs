using InceptionGen;

namespace FashionSample;

/// <summary>
/// A small Inception network for Fashion-MNIST (1x28x28, 10 classes). The generator checks the shapes at build time
/// and writes the forward pass, the backward pass and <c>TrainStep</c>.
/// </summary>
[Network(Channels = 1, Height = 28, Width = 28)]
public sealed partial class TinyInception
{
    [Conv(16, Kernel = 3, Padding = 1)]       public partial Conv Stem { get; }           // 16x28x28
    [MaxPool(2)]                              public partial Pool Pool1 { get; }          // 16x14x14

    // #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj.
    [Inception(16, 16, 32, 16, 16, 16)]       public partial Inception Inception1 { get; } // 80x14x14
    [MaxPool(2)]                              public partial Pool Pool2 { get; }          // 80x7x7
    [Inception(32, 32, 48, 16, 16, 16)]       public partial Inception Inception2 { get; } // 112x7x7

    [GlobalAveragePool]                       public partial Pool Pool3 { get; }          // 112x1x1
    [Linear(10)]                              public partial Linear Classifier { get; }
}
