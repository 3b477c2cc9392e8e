using System.Linq;

namespace InceptionGen.Generator.Model;

/// <summary>The kinds of layer attribute the parser knows.</summary>
internal enum LayerKind
{
    Conv,
    MaxPool,
    AvgPool,
    GlobalAveragePool,
    AdaptiveAveragePool,
    LocalResponseNorm,
    Inception,
    AuxiliaryClassifier,
    Dropout,
    Linear,
    Flatten,
    BatchNorm,
    /// <summary>A user-declared module (a <c>ModuleAttribute</c> subclass), with its branches in <see cref="LayerModel.Module"/>.</summary>
    Module,
}

/// <summary>How a module combines its branches: the runtime's <c>ModuleCombine</c> values.</summary>
internal enum ModuleCombineKind
{
    Concat = 0,
    Residual = 1,
}

/// <summary>
/// One use of a user-declared module, its parameters already put in: the branches' layers carry the values of this use.
/// <see cref="TypeName"/> is the module class's name, for the summary and messages.
/// </summary>
internal sealed record ModuleModel(string TypeName, ModuleCombineKind Combine, float ResidualScale, bool Relu, EquatableArray<BranchModel> Branches)
{
    public ModuleModel WithoutLocations()
        => this with { Branches = Branches.Select(branch => branch with { Location = null, Layers = branch.Layers.Select(layer => layer.WithoutLocations()).ToEquatableArray() }).ToEquatableArray() };
}

/// <summary>A branch of a module: its member's name and its layers in source order.</summary>
internal sealed record BranchModel(string Member, LocationInfo? Location, EquatableArray<LayerModel> Layers);

/// <summary>A type that encloses the network class, for emitting nested partial declarations.</summary>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>
/// One declared layer as the parser read it: the property and its attribute's arguments, defaults
/// filled in. Options that do not apply to a kind stay at their defaults. <see cref="WeightName"/> is the layer's segment in
/// weight-file names when it differs from today's rule: a declared <c>Name</c>, or the default of a layer inside a module. <see cref="Kernel"/>, <see cref="Stride"/> and
/// <see cref="Padding"/> are height × width (an LRN's size is its kernel's height, an auxiliary head's pool is square).
/// </summary>
internal sealed record LayerModel(
    string Name,
    LayerKind Kind,
    string Accessibility,
    LocationInfo? Location,
    int OutChannels = 0,
    SizePair Kernel = default,
    SizePair Stride = default,
    SizePair Padding = default,
    bool Bias = true,
    bool Relu = true,
    bool CeilMode = false,
    float Alpha = 0f,
    float Beta = 0f,
    float K = 0f,
    float Rate = 0f,
    float LossWeight = 0f,
    int HiddenUnits = 0,
    int ConvChannels = 0,
    EquatableArray<int> InceptionWidths = default,
    bool BatchNorm = false,
    double Epsilon = 0,
    double Momentum = 0,
    SizePair OutputSize = default,
    string? WeightName = null,
    ModuleModel? Module = null,
    AuxiliaryHeadModel? Head = null)
{
    /// <summary>The layer without source locations, its module's layers included (what the emitter needs).</summary>
    public LayerModel WithoutLocations() => this with { Location = null, Module = Module?.WithoutLocations() };
}

/// <summary>
/// An auxiliary head's options beyond Caffe's (see <c>AuxiliaryClassifierAttribute</c>): null on a Caffe head, so its
/// model, plan and code stay what they were. <see cref="LayerModel.OutputSize"/> holds <c>PoolOutput</c> (0: the average
/// pool), <see cref="LayerModel.CeilMode"/> <c>PoolCeilMode</c>, <see cref="LayerModel.BatchNorm"/> and its eps and momentum
/// the BasicConv2d choice.
/// </summary>
internal sealed record AuxiliaryHeadModel(int SecondConvChannels, int SecondConvKernel, bool GlobalPool, int Names)
{
    /// <summary><c>AuxiliaryNames.Torchvision</c>'s value (<c>Caffe</c> is 0).</summary>
    public const int TorchvisionNames = 1;
}

/// <summary>
/// A network class as the parser read it, with the problems it found on the way. <see cref="Incomplete"/>
/// is set when the compiler could not bind part of it (it reports that itself); nothing is generated then.
/// <see cref="Convolution"/> is the attribute's <c>ConvolutionAlgorithm</c> as its value (0: chosen per layer).
/// </summary>
internal sealed record NetworkModel(
    string? Namespace,
    string ClassName,
    string Accessibility,
    EquatableArray<ContainingType> ContainingTypes,
    int Channels,
    int Height,
    int Width,
    EquatableArray<LayerModel> Layers,
    LocationInfo? Location,
    EquatableArray<DiagnosticInfo> Diagnostics,
    bool Incomplete,
    int Convolution = 0)
{
    /// <summary><c>ConvolutionAlgorithm.Direct</c>'s value: every convolution direct.</summary>
    public const int DirectConvolution = 1;

    /// <summary><c>ConvolutionAlgorithm.Fastest</c>'s value: Winograd F(4,3) allowed.</summary>
    public const int FastestConvolution = 2;

    /// <summary>The fully qualified name, for diagnostics and the hint name; without the <c>@</c> of escaped keywords, which a hint name cannot hold.</summary>
    public string FullName => ((Namespace is null ? "" : Namespace + ".") + string.Concat(ContainingTypes.Select(type => type.Name + ".")) + ClassName).Replace("@", "");
}
