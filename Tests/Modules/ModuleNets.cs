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
