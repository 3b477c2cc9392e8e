namespace InceptionGen.Tests.Network;

/// <summary>
/// The auxiliary-head styles beside Caffe's, at their real sizes: 3x18x18 → BasicConv2d 16 →
/// <c>AuxLogits</c>, torchvision Inception-v3's head (avg pool 5x5/3 floor: 18 → 5, where ceil mode would give 6 →
/// BasicConv2d 128 1x1 → BasicConv2d 768 5x5 → adaptive avg pool 1x1 → fc; names conv0, conv1, fc) → max pool 2x2/2 →
/// <c>Aux1</c>, torchvision GoogLeNet's head (adaptive avg pool 9x9 → 4x4, overlapping windows → BasicConv2d 128 → fc1
/// 2048 → 1024 + ReLU → dropout 0.7 → fc2) → <c>Aux2</c>, a Caffe-named head with a second convolution with bias
/// (2x2, so its 3x3 output makes the global pool average) and dropout without a hidden layer → global average pool →
/// Linear 6.
/// </summary>
[Network(Channels = 3, Height = 18, Width = 18)]
public sealed partial class TorchvisionHeadsNet
{
    [Conv(16, Kernel = 3, Padding = 1, BatchNorm = true, BatchNormEpsilon = 0.001)]
    public partial Conv Conv1 { get; }

    [AuxiliaryClassifier(6, LossWeight = 0.4f, PoolCeilMode = false, BatchNorm = true, BatchNormEpsilon = 0.001, SecondConvChannels = 768,
        SecondConvKernel = 5, GlobalPool = true, HiddenUnits = 0, DropoutRate = 0, Names = AuxiliaryNames.Torchvision)]
    public partial AuxiliaryClassifier AuxLogits { get; }

    [MaxPool(2, Stride = 2)]
    public partial Pool Pool1 { get; }

    [AuxiliaryClassifier(6, PoolOutput = 4, BatchNorm = true, BatchNormEpsilon = 0.001, Names = AuxiliaryNames.Torchvision)]
    public partial AuxiliaryClassifier Aux1 { get; }

    [AuxiliaryClassifier(6, PoolKernel = 3, PoolStride = 2, ConvChannels = 12, SecondConvChannels = 8, SecondConvKernel = 2, GlobalPool = true,
        HiddenUnits = 0, DropoutRate = 0.5f)]
    public partial AuxiliaryClassifier Aux2 { get; }

    [GlobalAveragePool]
    public partial Pool Pool2 { get; }

    [Linear(6)]
    public partial Linear Fc { get; }
}
