namespace InceptionGen.Definitions;

/// <summary>
/// torchvision 0.14's Inception block (<c>torchvision.models.googlenet.Inception</c>): four branches of BasicConv2d
/// (conv without bias → BatchNorm eps 0.001 → ReLU), concatenated in this order. Its state_dict names follow from the
/// branch names: <c>branch1.conv.weight</c>, <c>branch2.0.bn.running_mean</c>, <c>branch4.1.conv.weight</c>.
/// </summary>
[InceptionModule]
public sealed class TorchvisionInception : ModuleAttribute
{
    public int Ch1x1 { get; set; }
    public int Ch3x3Reduce { get; set; }
    public int Ch3x3 { get; set; }
    public int Ch5x5Reduce { get; set; }
    public int Ch5x5 { get; set; }
    public int PoolProj { get; set; }

    [Conv(nameof(Ch1x1), Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001)]
    public Branch Branch1 { get; }

    [Conv(nameof(Ch3x3Reduce), Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001)]
    [Conv(nameof(Ch3x3), Kernel = 3, Padding = 1, BatchNorm = true, BatchNormEpsilon = 0.001)]
    public Branch Branch2 { get; }

    // torchvision's "5x5" branch is a 3x3 convolution (ch5x5 filters, kernel_size=3, padding=1): a known slip in its code
    // that its pretrained weights were trained with, so torchvision keeps it, and so do we; it is not the paper's 5x5.
    [Conv(nameof(Ch5x5Reduce), Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001)]
    [Conv(nameof(Ch5x5), Kernel = 3, Padding = 1, BatchNorm = true, BatchNormEpsilon = 0.001)]
    public Branch Branch3 { get; }

    [MaxPool(3, Stride = 1, Padding = 1, CeilMode = true)]
    [Conv(nameof(PoolProj), Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001)]
    public Branch Branch4 { get; }
}

/// <summary>
/// torchvision 0.14's GoogLeNet, <c>googlenet(aux_logits=True, transform_input=False)</c>, with its own structure and
/// state_dict names, so a torchvision state_dict saved as safetensors (tools/reference/convert_state_dict.py) loads with
/// no mapping: BasicConv2d everywhere and no LRN, ceil-mode max pools (maxpool4 is 2x2/2), the "5x5" branches as 3x3
/// (see <see cref="TorchvisionInception"/>), adaptive average pooling, dropout 0.2, and its auxiliary heads after
/// inception4a and inception4d (adaptive average pool to 4x4 → BasicConv2d 128 → fc1 2048 → 1024 + ReLU → dropout 0.7 →
/// fc2), used in training only. 13,004,888 parameters with the heads, 6,624,904 without (BN's γ and β counted, its
/// running statistics not), as torchvision's.
/// </summary>
[Network(Channels = 3, Height = 224, Width = 224)]
public sealed partial class TorchvisionGoogLeNet
{
    // Stem: conv 7x7/2 → max pool 3x3/2 → conv 1x1 → conv 3x3 → max pool 3x3/2.
    [Conv(64, Kernel = 7, Stride = 2, Padding = 3, BatchNorm = true, BatchNormEpsilon = 0.001)]    public partial Conv Conv1 { get; }
    [MaxPool(3, Stride = 2, CeilMode = true)]                                                      public partial Pool Maxpool1 { get; }
    [Conv(64, Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001)]                             public partial Conv Conv2 { get; }
    [Conv(192, Kernel = 3, Padding = 1, BatchNorm = true, BatchNormEpsilon = 0.001)]               public partial Conv Conv3 { get; }
    [MaxPool(3, Stride = 2, CeilMode = true)]                                                      public partial Pool Maxpool2 { get; }

    // torchvision's Inception(in, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj), the paper's table 1.
    [TorchvisionInception(Ch1x1 = 64, Ch3x3Reduce = 96, Ch3x3 = 128, Ch5x5Reduce = 16, Ch5x5 = 32, PoolProj = 32)]      public partial Module Inception3a { get; }
    [TorchvisionInception(Ch1x1 = 128, Ch3x3Reduce = 128, Ch3x3 = 192, Ch5x5Reduce = 32, Ch5x5 = 96, PoolProj = 64)]    public partial Module Inception3b { get; }
    [MaxPool(3, Stride = 2, CeilMode = true)]                                                                             public partial Pool Maxpool3 { get; }
    [TorchvisionInception(Ch1x1 = 192, Ch3x3Reduce = 96, Ch3x3 = 208, Ch5x5Reduce = 16, Ch5x5 = 48, PoolProj = 64)]     public partial Module Inception4a { get; }
    [AuxiliaryClassifier(1000, PoolOutput = 4, BatchNorm = true, BatchNormEpsilon = 0.001, Names = AuxiliaryNames.Torchvision)] public partial AuxiliaryClassifier Aux1 { get; }
    [TorchvisionInception(Ch1x1 = 160, Ch3x3Reduce = 112, Ch3x3 = 224, Ch5x5Reduce = 24, Ch5x5 = 64, PoolProj = 64)]    public partial Module Inception4b { get; }
    [TorchvisionInception(Ch1x1 = 128, Ch3x3Reduce = 128, Ch3x3 = 256, Ch5x5Reduce = 24, Ch5x5 = 64, PoolProj = 64)]    public partial Module Inception4c { get; }
    [TorchvisionInception(Ch1x1 = 112, Ch3x3Reduce = 144, Ch3x3 = 288, Ch5x5Reduce = 32, Ch5x5 = 64, PoolProj = 64)]    public partial Module Inception4d { get; }
    [AuxiliaryClassifier(1000, PoolOutput = 4, BatchNorm = true, BatchNormEpsilon = 0.001, Names = AuxiliaryNames.Torchvision)] public partial AuxiliaryClassifier Aux2 { get; }
    [TorchvisionInception(Ch1x1 = 256, Ch3x3Reduce = 160, Ch3x3 = 320, Ch5x5Reduce = 32, Ch5x5 = 128, PoolProj = 128)]  public partial Module Inception4e { get; }
    [MaxPool(2, Stride = 2, CeilMode = true)]                                                                             public partial Pool Maxpool4 { get; }
    [TorchvisionInception(Ch1x1 = 256, Ch3x3Reduce = 160, Ch3x3 = 320, Ch5x5Reduce = 32, Ch5x5 = 128, PoolProj = 128)]  public partial Module Inception5a { get; }
    [TorchvisionInception(Ch1x1 = 384, Ch3x3Reduce = 192, Ch3x3 = 384, Ch5x5Reduce = 48, Ch5x5 = 128, PoolProj = 128)]  public partial Module Inception5b { get; }

    // Head: adaptive average pool to 1x1 → flatten → dropout 0.2 → fc.
    [AdaptiveAveragePool(1)]                                                                       public partial Pool Avgpool { get; }
    [Dropout(0.2f)]                                                                                public partial Dropout Dropout { get; }
    [Linear(1000)]                                                                                 public partial Linear Fc { get; }
}
