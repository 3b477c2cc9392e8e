namespace InceptionGen.Definitions;

// Inception-v3 (Szegedy et al. 2015, "Rethinking the Inception Architecture for Computer Vision") exactly as
// torchvision 0.14's inception_v3(aux_logits=True, transform_input=False) at 299x299, declared with the module DSL
// (docs/modules.md). Every convolution is torchvision's BasicConv2d: conv without bias → BatchNorm (eps 0.001,
// momentum 0.1) → ReLU. Every name below is torchvision's state_dict name, so its weights load with no mapping
// (tools/reference/torchvision_inception_v3.py is the reference).

/// <summary>
/// torchvision's <c>InceptionA</c> (35x35): 1x1 64 | 1x1 48 → 5x5 64 | 1x1 64 → 3x3 96 → 3x3 96 | avg pool 3x3 → 1x1
/// <see cref="PoolFeatures"/>. The average pool counts the padding, as torchvision's <c>F.avg_pool2d</c> does.
/// </summary>
[InceptionModule]
public sealed class InceptionA : ModuleAttribute
{
    /// <summary>The pool branch's width (torchvision's pool_features: 32 in Mixed_5b, 64 in Mixed_5c and Mixed_5d).</summary>
    public int PoolFeatures { get; set; }

    [Conv(64, Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch1x1")]
    public Branch Branch1x1 { get; }

    [Conv(48, Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch5x5_1")]
    [Conv(64, Kernel = 5, Padding = 2, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch5x5_2")]
    public Branch Branch5x5 { get; }

    [Conv(64, Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3dbl_1")]
    [Conv(96, Kernel = 3, Padding = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3dbl_2")]
    [Conv(96, Kernel = 3, Padding = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3dbl_3")]
    public Branch Branch3x3Double { get; }

    [AvgPool(3, Stride = 1, Padding = 1)]
    [Conv(nameof(PoolFeatures), Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch_pool")]
    public Branch BranchPool { get; }
}

/// <summary>torchvision's <c>InceptionB</c> (Mixed_6a, 35x35 → 17x17): 3x3/2 384 | 1x1 64 → 3x3 96 → 3x3/2 96 | max pool 3x3/2.</summary>
[InceptionModule]
public sealed class InceptionB : ModuleAttribute
{
    [Conv(384, Kernel = 3, Stride = 2, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3")]
    public Branch Branch3x3 { get; }

    [Conv(64, Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3dbl_1")]
    [Conv(96, Kernel = 3, Padding = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3dbl_2")]
    [Conv(96, Kernel = 3, Stride = 2, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3dbl_3")]
    public Branch Branch3x3Double { get; }

    // Passes its input's 288 channels through.
    [MaxPool(3, Stride = 2)]
    public Branch BranchPool { get; }
}

/// <summary>
/// torchvision's <c>InceptionC</c> (17x17), the factorized 7x7: 1x1 192 | 1x1 c7 → 1x7 c7 → 7x1 192 |
/// 1x1 c7 → 7x1 c7 → 1x7 c7 → 7x1 c7 → 1x7 192 | avg pool 3x3 → 1x1 192, with c7 = <see cref="Channels7x7"/>.
/// </summary>
[InceptionModule]
public sealed class InceptionC : ModuleAttribute
{
    /// <summary>The width inside the 7x7 branches (torchvision's channels_7x7: 128, 160, 160, 192 in Mixed_6b to 6e).</summary>
    public int Channels7x7 { get; set; }

    [Conv(192, Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch1x1")]
    public Branch Branch1x1 { get; }

    [Conv(nameof(Channels7x7), Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch7x7_1")]
    [Conv(nameof(Channels7x7), KernelHeight = 1, KernelWidth = 7, PaddingWidth = 3, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch7x7_2")]
    [Conv(192, KernelHeight = 7, KernelWidth = 1, PaddingHeight = 3, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch7x7_3")]
    public Branch Branch7x7 { get; }

    [Conv(nameof(Channels7x7), Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch7x7dbl_1")]
    [Conv(nameof(Channels7x7), KernelHeight = 7, KernelWidth = 1, PaddingHeight = 3, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch7x7dbl_2")]
    [Conv(nameof(Channels7x7), KernelHeight = 1, KernelWidth = 7, PaddingWidth = 3, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch7x7dbl_3")]
    [Conv(nameof(Channels7x7), KernelHeight = 7, KernelWidth = 1, PaddingHeight = 3, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch7x7dbl_4")]
    [Conv(192, KernelHeight = 1, KernelWidth = 7, PaddingWidth = 3, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch7x7dbl_5")]
    public Branch Branch7x7Double { get; }

    [AvgPool(3, Stride = 1, Padding = 1)]
    [Conv(192, Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch_pool")]
    public Branch BranchPool { get; }
}

/// <summary>
/// torchvision's <c>InceptionD</c> (Mixed_7a, 17x17 → 8x8): 1x1 192 → 3x3/2 320 | 1x1 192 → 1x7 192 → 7x1 192 → 3x3/2 192 |
/// max pool 3x3/2.
/// </summary>
[InceptionModule]
public sealed class InceptionD : ModuleAttribute
{
    [Conv(192, Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3_1")]
    [Conv(320, Kernel = 3, Stride = 2, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3_2")]
    public Branch Branch3x3 { get; }

    [Conv(192, Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch7x7x3_1")]
    [Conv(192, KernelHeight = 1, KernelWidth = 7, PaddingWidth = 3, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch7x7x3_2")]
    [Conv(192, KernelHeight = 7, KernelWidth = 1, PaddingHeight = 3, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch7x7x3_3")]
    [Conv(192, Kernel = 3, Stride = 2, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch7x7x3_4")]
    public Branch Branch7x7x3 { get; }

    // Passes its input's 768 channels through.
    [MaxPool(3, Stride = 2)]
    public Branch BranchPool { get; }
}

/// <summary>
/// The split at the end of <see cref="InceptionE"/>'s 3x3 branch: 1x3 384 | 3x1 384, concatenated. Used with
/// <c>Name = ""</c>, so its convolutions sit directly in the block, as torchvision's branch3x3_2a and branch3x3_2b.
/// </summary>
[InceptionModule]
public sealed class InceptionE3x3Split : ModuleAttribute
{
    [Conv(384, KernelHeight = 1, KernelWidth = 3, PaddingWidth = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3_2a")]
    public Branch Horizontal { get; }

    [Conv(384, KernelHeight = 3, KernelWidth = 1, PaddingHeight = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3_2b")]
    public Branch Vertical { get; }
}

/// <summary>The same split at the end of <see cref="InceptionE"/>'s double-3x3 branch (torchvision's branch3x3dbl_3a and branch3x3dbl_3b).</summary>
[InceptionModule]
public sealed class InceptionE3x3DoubleSplit : ModuleAttribute
{
    [Conv(384, KernelHeight = 1, KernelWidth = 3, PaddingWidth = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3dbl_3a")]
    public Branch Horizontal { get; }

    [Conv(384, KernelHeight = 3, KernelWidth = 1, PaddingHeight = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3dbl_3b")]
    public Branch Vertical { get; }
}

/// <summary>
/// torchvision's <c>InceptionE</c> (8x8, Mixed_7b and Mixed_7c): 1x1 320 | 1x1 384 → (1x3 384 | 3x1 384) |
/// 1x1 448 → 3x3 384 → (1x3 384 | 3x1 384) | avg pool 3x3 → 1x1 192: 2048 channels.
/// </summary>
[InceptionModule]
public sealed class InceptionE : ModuleAttribute
{
    [Conv(320, Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch1x1")]
    public Branch Branch1x1 { get; }

    [Conv(384, Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3_1")]
    [InceptionE3x3Split(Name = "")]
    public Branch Branch3x3 { get; }

    [Conv(448, Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3dbl_1")]
    [Conv(384, Kernel = 3, Padding = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch3x3dbl_2")]
    [InceptionE3x3DoubleSplit(Name = "")]
    public Branch Branch3x3Double { get; }

    [AvgPool(3, Stride = 1, Padding = 1)]
    [Conv(192, Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "branch_pool")]
    public Branch BranchPool { get; }
}

/// <summary>
/// Inception-v3 as torchvision 0.14's <c>inception_v3(aux_logits=True, transform_input=False)</c>: 3x299x299 input, the
/// stem (five BasicConv2d, two max pools), Mixed_5b..5d (A), 6a (B), 6b..6e (C), the auxiliary head after 6e (training
/// only, loss weight 0.4), 7a (D), 7b and 7c (E), global average pooling, dropout 0.5 and a 1000-way fc.
/// 27,161,264 parameters (23,834,568 without the auxiliary head), 5.71 G multiply-adds per image.
/// </summary>
[Network(Channels = 3, Height = 299, Width = 299)]
public sealed partial class InceptionV3
{
    // Stem: 299 → 149 → 147 → 147 → max pool 73 → 73 → 71 → max pool 35.
    [Conv(32, Kernel = 3, Stride = 2, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "Conv2d_1a_3x3")] public partial Conv Conv2d1a { get; }
    [Conv(32, Kernel = 3, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "Conv2d_2a_3x3")]             public partial Conv Conv2d2a { get; }
    [Conv(64, Kernel = 3, Padding = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "Conv2d_2b_3x3")] public partial Conv Conv2d2b { get; }
    [MaxPool(3, Stride = 2, Name = "maxpool1")]                                                           public partial Pool MaxPool1 { get; }
    [Conv(80, Kernel = 1, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "Conv2d_3b_1x1")]             public partial Conv Conv2d3b { get; }
    [Conv(192, Kernel = 3, BatchNorm = true, BatchNormEpsilon = 0.001, Name = "Conv2d_4a_3x3")]            public partial Conv Conv2d4a { get; }
    [MaxPool(3, Stride = 2, Name = "maxpool2")]                                                           public partial Pool MaxPool2 { get; }

    // 35x35: 256, 288, 288 channels.
    [InceptionA(PoolFeatures = 32, Name = "Mixed_5b")]                                                    public partial Module Mixed5b { get; }
    [InceptionA(PoolFeatures = 64, Name = "Mixed_5c")]                                                    public partial Module Mixed5c { get; }
    [InceptionA(PoolFeatures = 64, Name = "Mixed_5d")]                                                    public partial Module Mixed5d { get; }

    // 17x17: 768 channels.
    [InceptionB(Name = "Mixed_6a")]                                                                       public partial Module Mixed6a { get; }
    [InceptionC(Channels7x7 = 128, Name = "Mixed_6b")]                                                    public partial Module Mixed6b { get; }
    [InceptionC(Channels7x7 = 160, Name = "Mixed_6c")]                                                    public partial Module Mixed6c { get; }
    [InceptionC(Channels7x7 = 160, Name = "Mixed_6d")]                                                    public partial Module Mixed6d { get; }
    [InceptionC(Channels7x7 = 192, Name = "Mixed_6e")]                                                    public partial Module Mixed6e { get; }

    // torchvision's InceptionAux on Mixed_6e's output: avg pool 5x5/3 (17 → 5) → BasicConv2d 1x1 128 (conv0) →
    // BasicConv2d 5x5 768 (conv1, 5 → 1) → adaptive average pool 1x1 → fc. Its loss weight 0.4 is that of PyTorch's
    // torchvision fine-tuning recipe (loss1 + 0.4 * loss2); torchvision's model leaves the weight to the trainer.
    [AuxiliaryClassifier(1000, LossWeight = 0.4f, PoolKernel = 5, PoolStride = 3, PoolCeilMode = false, ConvChannels = 128,
        SecondConvChannels = 768, SecondConvKernel = 5, BatchNorm = true, BatchNormEpsilon = 0.001, GlobalPool = true,
        HiddenUnits = 0, DropoutRate = 0, Names = AuxiliaryNames.Torchvision, Name = "AuxLogits")]
    public partial AuxiliaryClassifier AuxLogits { get; }

    // 8x8: 1280, 2048, 2048 channels.
    [InceptionD(Name = "Mixed_7a")]                                                                       public partial Module Mixed7a { get; }
    [InceptionE(Name = "Mixed_7b")]                                                                       public partial Module Mixed7b { get; }
    [InceptionE(Name = "Mixed_7c")]                                                                       public partial Module Mixed7c { get; }

    // Head: torchvision's AdaptiveAvgPool2d((1, 1)) is a global average; dropout on the 2048x1x1 map; fc.
    [GlobalAveragePool(Name = "avgpool")]                                                                 public partial Pool AvgPool { get; }
    [Dropout(0.5f, Name = "dropout")]                                                                     public partial Dropout Dropout { get; }
    [Linear(1000, Name = "fc")]                                                                           public partial Linear Fc { get; }
}
