namespace InceptionGen.Tests.Modules;

// Modules declared with the module DSL (docs/modules.md) and the small networks that use them; the generator runs on
// them when the test project builds.

/// <summary>The 2014 paper's module (table 1) declared with the DSL: what [Inception] builds, with the six numbers as parameters.</summary>
[InceptionModule]
public sealed class Inception2014 : ModuleAttribute
{
    public int Branch1x1 { get; set; }
    public int Reduce3x3 { get; set; }
    public int Branch3x3 { get; set; }
    public int Reduce5x5 { get; set; }
    public int Branch5x5 { get; set; }
    public int PoolProjection { get; set; }

    [Conv(nameof(Branch1x1), Kernel = 1)]
    public Branch Branch1 { get; }

    [Conv(nameof(Reduce3x3), Kernel = 1)]
    [Conv(nameof(Branch3x3), Kernel = 3, Padding = 1)]
    public Branch Branch2 { get; }

    [Conv(nameof(Reduce5x5), Kernel = 1)]
    [Conv(nameof(Branch5x5), Kernel = 5, Padding = 2)]
    public Branch Branch3 { get; }

    [MaxPool(3, Stride = 1, Padding = 1)]
    [Conv(nameof(PoolProjection), Kernel = 1)]
    public Branch Branch4 { get; }
}

/// <summary>[Inception] with widths that leave gaps in the concat (24, 40, 8, 8), between a stem and a classifier.</summary>
[Network(Channels = 3, Height = 10, Width = 10)]
public sealed partial class BuiltInInceptionNet
{
    [Conv(20, Kernel = 3, Padding = 1)]                 public partial Conv Stem { get; }
    [Inception(24, 16, 40, 8, 8, 8)]                    public partial Inception Mixed { get; }
    [Inception(16, 16, 32, 16, 16, 16)]                 public partial Inception Mixed2 { get; }
    [GlobalAveragePool]                                 public partial Pool Pool { get; }
    [Linear(5)]                                         public partial Linear Classifier { get; }
}

/// <summary><see cref="BuiltInInceptionNet"/> with its modules declared with the DSL.</summary>
[Network(Channels = 3, Height = 10, Width = 10)]
public sealed partial class DeclaredInceptionNet
{
    [Conv(20, Kernel = 3, Padding = 1)]                 public partial Conv Stem { get; }
    [Inception2014(Branch1x1 = 24, Reduce3x3 = 16, Branch3x3 = 40, Reduce5x5 = 8, Branch5x5 = 8, PoolProjection = 8)]
                                                        public partial Module Mixed { get; }
    [Inception2014(Branch1x1 = 16, Reduce3x3 = 16, Branch3x3 = 32, Reduce5x5 = 16, Branch5x5 = 16, PoolProjection = 16)]
                                                        public partial Module Mixed2 { get; }
    [GlobalAveragePool]                                 public partial Pool Pool { get; }
    [Linear(5)]                                         public partial Linear Classifier { get; }
}

/// <summary>Inception-v3's C block, small: 1x7 and 7x1 convolutions with BatchNorm, a parameter, explicit names, and a defaulted parameter.</summary>
[InceptionModule]
public sealed class Factorized7x7 : ModuleAttribute
{
    public int Channels7x7 { get; set; }
    public int PoolFeatures { get; set; } = 16;

    [Conv(24, Kernel = 1, BatchNorm = true)]
    public Branch Branch1x1 { get; }

    [Conv(nameof(Channels7x7), Kernel = 1, BatchNorm = true, Name = "branch7x7_1")]
    [Conv(nameof(Channels7x7), KernelHeight = 1, KernelWidth = 7, PaddingWidth = 3, BatchNorm = true, Name = "branch7x7_2")]
    [Conv(20, KernelHeight = 7, KernelWidth = 1, PaddingHeight = 3, BatchNorm = true, Name = "branch7x7_3")]
    public Branch Branch7x7 { get; }

    [AvgPool(3, Stride = 1, Padding = 1)]
    [Conv(nameof(PoolFeatures), Kernel = 1, BatchNorm = true, Name = "branch_pool")]
    public Branch BranchPool { get; }
}

/// <summary>A stride-2 reduction (Inception-v3's B block, small): two strided branches and a pool-only branch that passes its input's channels through.</summary>
[InceptionModule]
public sealed class Reduction : ModuleAttribute
{
    [Conv(24, Kernel = 3, Stride = 2)]
    public Branch Branch3x3 { get; }

    [Conv(16, Kernel = 1)]
    [Conv(16, Kernel = 3, Padding = 1)]
    [Conv(16, Kernel = 3, Stride = 2)]
    public Branch Branch3x3dbl { get; }

    [MaxPool(3, Stride = 2)]
    public Branch BranchPool { get; }
}

/// <summary>
/// 3x11x11 → conv → the factorized module (60 channels in 80 with gaps) → the reduction (24 + 16 + the 60 passed
/// through, at 5x5) → global average pool → Linear 4.
/// </summary>
[Network(Channels = 3, Height = 11, Width = 11)]
public sealed partial class FactorizedModuleNet
{
    [Conv(20, Kernel = 3, Padding = 1)]                                 public partial Conv Stem { get; }
    [Factorized7x7(Channels7x7 = 12, Name = "Mixed_6b")]                public partial Module Mixed6b { get; }
    [Reduction]                                                         public partial Module Reduce { get; }
    [GlobalAveragePool]                                                 public partial Pool Pool { get; }
    [Linear(4)]                                                         public partial Linear Classifier { get; }
}

/// <summary>Two branches concatenated: the inside of an Inception-ResNet block, used with Name = "" so that its layers sit in the block's names.</summary>
[InceptionModule]
public sealed class ResidualMixer : ModuleAttribute
{
    [Conv(16, Kernel = 1)]
    public Branch Branch0 { get; }

    [Conv(8, Kernel = 1)]
    [Conv(16, Kernel = 3, Padding = 1)]
    public Branch Branch1 { get; }
}

/// <summary>Inception-ResNet's "concat → 1x1 conv → scale → add → ReLU": one branch of a nested concat module and a linear 1x1 convolution.</summary>
[InceptionModule(Combine = ModuleCombine.Residual, ResidualScale = 0.17f, Relu = true)]
public sealed class ResidualBlock : ModuleAttribute
{
    [ResidualMixer(Name = "")]
    [Conv(32, Kernel = 1, Relu = false, Name = "conv2d")]
    public Branch Mixed { get; }
}

/// <summary>A residual module whose branches (8 and 12 channels) leave gaps that its 20-channel input does not have: the sum goes through channel maps.</summary>
[InceptionModule(Combine = ModuleCombine.Residual, ResidualScale = 0.5f)]
public sealed class GappedResidual : ModuleAttribute
{
    [Conv(8, Kernel = 1, Relu = false)]
    public Branch Branch0 { get; }

    [Conv(12, Kernel = 3, Padding = 1, Relu = false)]
    public Branch Branch1 { get; }
}

/// <summary>3x9x9 → conv 32 → two residual blocks (ReLU, scale 0.17) → conv 20 → a gapped residual (no ReLU, scale 0.5) → pool → Linear 4.</summary>
[Network(Channels = 3, Height = 9, Width = 9)]
public sealed partial class ResidualModuleNet
{
    [Conv(32, Kernel = 3, Padding = 1)]                                 public partial Conv Stem { get; }
    [ResidualBlock(Name = "block35_1")]                                 public partial Module Block1 { get; }
    [ResidualBlock(Name = "block35_2")]                                 public partial Module Block2 { get; }
    [Conv(20, Kernel = 1)]                                              public partial Conv Narrow { get; }
    [GappedResidual]                                                    public partial Module Gapped { get; }
    [GlobalAveragePool]                                                 public partial Pool Pool { get; }
    [Linear(4)]                                                         public partial Linear Classifier { get; }
}

/// <summary>Inception-v3's E-block split: a 1x3 and a 3x1 convolution side by side, named as torchvision names them.</summary>
[InceptionModule]
public sealed class Split3x3 : ModuleAttribute
{
    [Conv(16, KernelHeight = 1, KernelWidth = 3, PaddingWidth = 1, BatchNorm = true, Name = "branch3x3_2a")]
    public Branch Wide { get; }

    [Conv(16, KernelHeight = 3, KernelWidth = 1, PaddingHeight = 1, BatchNorm = true, Name = "branch3x3_2b")]
    public Branch Tall { get; }
}

/// <summary>Inception-v3's E block, small: a branch that ends in a nested module (Name = "": its layers sit in this module's names).</summary>
[InceptionModule]
public sealed class ExpandedBlock : ModuleAttribute
{
    [Conv(16, Kernel = 1, BatchNorm = true)]
    public Branch Branch1x1 { get; }

    [Conv(24, Kernel = 1, BatchNorm = true, Name = "branch3x3_1")]
    [Split3x3(Name = "")]
    public Branch Branch3x3 { get; }

    [AvgPool(3, Stride = 1, Padding = 1)]
    [Conv(16, Kernel = 1, BatchNorm = true, Name = "branch_pool")]
    public Branch BranchPool { get; }
}

/// <summary>A nested module in the middle of a branch (its concat is a tensor of its own), named by its Name.</summary>
[InceptionModule]
public sealed class NestedInTheMiddle : ModuleAttribute
{
    [Split3x3(Name = "split")]
    [Conv(16, Kernel = 1, Name = "after")]
    public Branch Branch0 { get; }

    [MaxPool(3, Stride = 1, Padding = 1)]
    public Branch Branch1 { get; }
}

/// <summary>3x8x8 → conv 20 → the E block (16 + 32 + 16) → a module with a nested one mid-branch (16 + 64 passed through) → pool → Linear 4.</summary>
[Network(Channels = 3, Height = 8, Width = 8)]
public sealed partial class NestedModuleNet
{
    [Conv(20, Kernel = 3, Padding = 1)]                                 public partial Conv Stem { get; }
    [ExpandedBlock(Name = "Mixed_7b")]                                  public partial Module Mixed7b { get; }
    [NestedInTheMiddle]                                                 public partial Module Nested { get; }
    [GlobalAveragePool]                                                 public partial Pool Pool { get; }
    [Linear(4)]                                                         public partial Linear Classifier { get; }
}
