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
}

/// <summary>A type that encloses the network class, for emitting nested partial declarations.</summary>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>
/// One declared layer as the parser read it: the property and its attribute's arguments, defaults
/// filled in. Options that do not apply to a kind stay at their defaults. <see cref="Kernel"/>, <see cref="Stride"/> and
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
    AuxiliaryHeadModel? Head = null);

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
