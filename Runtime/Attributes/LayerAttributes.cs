namespace InceptionGen;

/// <summary>
/// Base of every layer attribute. A layer attribute goes on a <c>partial</c> property of a <see cref="NetworkAttribute"/> class
/// (one per property: more is IG0012), or on a <see cref="Branch"/> of a module class, where several in source order are the
/// branch's layers (hence <c>AllowMultiple</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true, Inherited = false)]
public abstract class LayerAttribute : Attribute
{
    /// <summary>
    /// The layer's segment in weight-file (state_dict) names, used as written; not set, a network layer takes the snake_case
    /// of its property and a module's layer its branch's name (see docs/modules.md). <c>""</c> on a module used inside a
    /// branch puts that module's layers directly in the parent's names.
    /// </summary>
    public string? Name { get; set; }
}

/// <summary>
/// A 2-D convolution, followed by ReLU unless <see cref="Relu"/> is false. <see cref="Kernel"/>, <see cref="Stride"/> and
/// <see cref="Padding"/> are square; <c>KernelHeight</c>/<c>KernelWidth</c> (and the same for stride and padding) set one
/// dimension, e.g. <c>[Conv(192, KernelHeight = 1, KernelWidth = 7, PaddingWidth = 3)]</c>; a per-dimension value that
/// contradicts a square one set beside it is IG0024. Declare the property as <see cref="InceptionGen.Conv"/>.
/// </summary>
/// <param name="outChannels">Number of output channels (filters).</param>
public sealed class ConvAttribute(int outChannels) : LayerAttribute
{
    /// <summary>
    /// In a module class: output channels from the module parameter named <paramref name="outChannelsParameter"/>, written
    /// <c>[Conv(nameof(Channels7x7))]</c>, so that each use of the module sets them.
    /// </summary>
    /// <param name="outChannelsParameter">The name of a public <c>int</c> property with a setter declared on the module class.</param>
    public ConvAttribute(string outChannelsParameter) : this(0)
    {
        OutChannelsParameter = outChannelsParameter;
    }

    public int OutChannels { get; } = outChannels;
    /// <summary>The module parameter that gives the output channels, or null when <see cref="OutChannels"/> does.</summary>
    public string? OutChannelsParameter { get; }
    /// <summary>Kernel height and width.</summary>
    public int Kernel { get; set; } = LayerDefaults.ConvKernel;
    /// <summary>Kernel height; 0 (not set) takes <see cref="Kernel"/>.</summary>
    public int KernelHeight { get; set; }
    /// <summary>Kernel width; 0 (not set) takes <see cref="Kernel"/>.</summary>
    public int KernelWidth { get; set; }
    public int Stride { get; set; } = LayerDefaults.ConvStride;
    /// <summary>Stride between output rows; 0 (not set) takes <see cref="Stride"/>.</summary>
    public int StrideHeight { get; set; }
    /// <summary>Stride between output columns; 0 (not set) takes <see cref="Stride"/>.</summary>
    public int StrideWidth { get; set; }
    /// <summary>Zero padding on every side.</summary>
    public int Padding { get; set; } = LayerDefaults.ConvPadding;
    /// <summary>Zero rows above and below; not set, <see cref="Padding"/>.</summary>
    public int PaddingHeight { get; set; }
    /// <summary>Zero columns left and right; not set, <see cref="Padding"/>.</summary>
    public int PaddingWidth { get; set; }
    public bool Bias { get; set; } = LayerDefaults.ConvBias;
    /// <summary>ReLU after the convolution; on by default, as in every convolution of the paper.</summary>
    public bool Relu { get; set; } = LayerDefaults.ConvRelu;
    /// <summary>
    /// BatchNorm between the convolution and its ReLU, as torchvision's <c>BasicConv2d</c> (conv without bias → BN → ReLU):
    /// the convolution then has no bias (<c>Bias = true</c> beside it is IG0011), and its parameters are <c>conv.weight</c> and <c>bn.*</c> under the layer's name.
    /// Inference folds the BN into the convolution's packed weights, so it costs nothing there.
    /// </summary>
    public bool BatchNorm { get; set; } = LayerDefaults.ConvBatchNorm;
    /// <summary>The BatchNorm's <c>eps</c> (PyTorch's default 1e-5; torchvision's BasicConv2d uses 0.001).</summary>
    public double BatchNormEpsilon { get; set; } = LayerDefaults.BatchNormEpsilon;
    /// <summary>The BatchNorm's <c>momentum</c> for the running statistics, in [0, 1].</summary>
    public double BatchNormMomentum { get; set; } = LayerDefaults.BatchNormMomentum;
}

/// <summary>
/// PyTorch's <c>BatchNorm2d</c> on the map of the layer above: per channel, <c>y = (x − mean) / √(var + eps) · weight + bias</c>,
/// with the whole batch's statistics in training (updating <c>running_mean</c> and <c>running_var</c> with
/// <see cref="Momentum"/>) and the running statistics in inference. After a convolution without ReLU it is folded into
/// the convolution's packed weights for inference. Declare the property as <see cref="InceptionGen.BatchNormLayer"/>.
/// </summary>
public sealed class BatchNormAttribute : LayerAttribute
{
    public double Epsilon { get; set; } = LayerDefaults.BatchNormEpsilon;
    /// <summary>The running statistics' update factor, in [0, 1].</summary>
    public double Momentum { get; set; } = LayerDefaults.BatchNormMomentum;
    /// <summary>ReLU after the normalization; off by default.</summary>
    public bool Relu { get; set; } = LayerDefaults.BatchNormRelu;
}

/// <summary>
/// Max pooling. Padded cells never win. A square window is the constructor's <c>kernel</c>; a rectangular one takes the
/// parameterless constructor and <see cref="KernelHeight"/>/<see cref="KernelWidth"/> (1 where not set), e.g.
/// <c>[MaxPool(KernelHeight = 3, KernelWidth = 1)]</c>. Declare the property as <see cref="Pool"/>.
/// </summary>
/// <param name="kernel">Window height and width.</param>
public sealed class MaxPoolAttribute(int kernel) : LayerAttribute
{
    /// <summary>A rectangular window: set <see cref="KernelHeight"/> and <see cref="KernelWidth"/>.</summary>
    public MaxPoolAttribute() : this(0)
    {
    }

    /// <summary>Window height and width; 0 with the parameterless constructor.</summary>
    public int Kernel { get; } = kernel;
    public int KernelHeight { get; set; }
    public int KernelWidth { get; set; }
    /// <summary>Defaults to the kernel size when not set, dimension by dimension.</summary>
    public int Stride { get; set; }
    public int StrideHeight { get; set; }
    public int StrideWidth { get; set; }
    public int Padding { get; set; } = LayerDefaults.PoolPadding;
    public int PaddingHeight { get; set; }
    public int PaddingWidth { get; set; }
    /// <summary>Round the output size up, as Caffe does (and PyTorch's <c>ceil_mode=True</c>).</summary>
    public bool CeilMode { get; set; } = LayerDefaults.PoolCeilMode;
}

/// <summary>
/// Average pooling. As in Caffe, each window divides by its size clipped to the padded input. A square window is the
/// constructor's <c>kernel</c>; a rectangular one takes the parameterless constructor and
/// <see cref="KernelHeight"/>/<see cref="KernelWidth"/> (1 where not set). Declare the property as <see cref="Pool"/>.
/// </summary>
/// <param name="kernel">Window height and width.</param>
public sealed class AvgPoolAttribute(int kernel) : LayerAttribute
{
    /// <summary>A rectangular window: set <see cref="KernelHeight"/> and <see cref="KernelWidth"/>.</summary>
    public AvgPoolAttribute() : this(0)
    {
    }

    /// <summary>Window height and width; 0 with the parameterless constructor.</summary>
    public int Kernel { get; } = kernel;
    public int KernelHeight { get; set; }
    public int KernelWidth { get; set; }
    /// <summary>Defaults to the kernel size when not set, dimension by dimension.</summary>
    public int Stride { get; set; }
    public int StrideHeight { get; set; }
    public int StrideWidth { get; set; }
    public int Padding { get; set; } = LayerDefaults.PoolPadding;
    public int PaddingHeight { get; set; }
    public int PaddingWidth { get; set; }
    public bool CeilMode { get; set; } = LayerDefaults.PoolCeilMode;
}

/// <summary>
/// PyTorch's <c>AdaptiveAvgPool2d</c>: averages each channel over <see cref="Output"/> × <see cref="Output"/> windows that
/// tile the map, window i covering rows [floor(i·H/out), ceil((i+1)·H/out)) (so windows may differ in size and overlap,
/// as GoogLeNet's auxiliary heads pool 14x14 to 4x4). <c>[AdaptiveAveragePool(OutputHeight = 4, OutputWidth = 3)]</c>
/// sets each dimension. Declare the property as <see cref="Pool"/>.
/// </summary>
/// <param name="output">Output height and width.</param>
public sealed class AdaptiveAveragePoolAttribute(int output) : LayerAttribute
{
    /// <summary>A rectangular output: set <see cref="OutputHeight"/> and <see cref="OutputWidth"/>.</summary>
    public AdaptiveAveragePoolAttribute() : this(0)
    {
    }

    /// <summary>Output height and width; 0 with the parameterless constructor.</summary>
    public int Output { get; } = output;
    public int OutputHeight { get; set; }
    public int OutputWidth { get; set; }
}

/// <summary>Averages each channel over the whole map, giving a C×1×1 output. Declare the property as <see cref="Pool"/>.</summary>
public sealed class GlobalAveragePoolAttribute : LayerAttribute
{
}

/// <summary>
/// Caffe's across-channel local response normalization:
/// <c>y = x / (K + Alpha / Size · Σ x²)^Beta</c>, the sum over <see cref="Size"/> neighbouring channels centred on the channel.
/// Declare the property as <see cref="Lrn"/>.
/// </summary>
/// <param name="size">Channels in the window; odd.</param>
public sealed class LocalResponseNormAttribute(int size) : LayerAttribute
{
    public int Size { get; } = size;
    public float Alpha { get; set; } = LayerDefaults.LrnAlpha;
    public float Beta { get; set; } = LayerDefaults.LrnBeta;
    public float K { get; set; } = LayerDefaults.LrnK;
}

/// <summary>
/// An Inception module with the six numbers of table 1 of Szegedy et al. 2014. Its four branches are
/// concatenated along channels in this order: 1x1; 1x1 reduce then 3x3; 1x1 reduce then 5x5; 3x3 max-pool
/// (stride 1) then 1x1 projection. A 0 for a reduce or the projection means there is none (the naive module);
/// a 0 for a branch's own width drops the branch. Every convolution is followed by ReLU.
/// Declare the property as <see cref="InceptionGen.Inception"/>.
/// </summary>
public sealed class InceptionAttribute(int branch1x1, int reduce3x3, int branch3x3, int reduce5x5, int branch5x5, int poolProjection) : LayerAttribute
{
    public int Branch1x1 { get; } = branch1x1;
    public int Reduce3x3 { get; } = reduce3x3;
    public int Branch3x3 { get; } = branch3x3;
    public int Reduce5x5 { get; } = reduce5x5;
    public int Branch5x5 { get; } = branch5x5;
    public int PoolProjection { get; } = poolProjection;
}

/// <summary>
/// An auxiliary classifier that taps the output of the layer declared above it. By default it is Caffe's GoogLeNet head
/// (loss1/loss2 of bvlc_googlenet): average pool <see cref="PoolKernel"/>/<see cref="PoolStride"/> → conv 1x1
/// <see cref="ConvChannels"/> + ReLU → FC <see cref="HiddenUnits"/> + ReLU → dropout <see cref="DropoutRate"/> → FC to
/// <see cref="Classes"/>, with parameters <c>conv.*</c>, <c>hidden.*</c>, <c>classifier.*</c>. The options below give
/// torchvision's heads as well:
/// <list type="bullet">
/// <item>GoogLeNet's <c>InceptionAux</c>: <c>[AuxiliaryClassifier(1000, PoolOutput = 4, BatchNorm = true,
/// BatchNormEpsilon = 0.001, Names = AuxiliaryNames.Torchvision)]</c> (adaptive average pool to 4x4 → BasicConv2d 128 →
/// fc1 1024 + ReLU → dropout 0.7 → fc2; <c>conv.conv.weight</c>, <c>conv.bn.*</c>, <c>fc1.*</c>, <c>fc2.*</c>);</item>
/// <item>Inception-v3's <c>InceptionAux</c>: <c>[AuxiliaryClassifier(1000, PoolCeilMode = false, BatchNorm = true,
/// BatchNormEpsilon = 0.001, SecondConvChannels = 768, SecondConvKernel = 5, GlobalPool = true, HiddenUnits = 0,
/// DropoutRate = 0, Names = AuxiliaryNames.Torchvision)]</c> (average pool 5x5/3 → BasicConv2d 128 1x1 → BasicConv2d 768
/// 5x5 → adaptive average pool 1x1 → fc; <c>conv0.*</c>, <c>conv1.*</c>, <c>fc.*</c>).</item>
/// </list>
/// It does not change the trunk: the next layer still reads the tapped output. Its loss counts with
/// <see cref="LossWeight"/> in training only; inference skips it at no cost.
/// Declare the property as <see cref="InceptionGen.AuxiliaryClassifier"/>.
/// </summary>
public sealed class AuxiliaryClassifierAttribute(int classes) : LayerAttribute
{
    public int Classes { get; } = classes;
    public float LossWeight { get; set; } = LayerDefaults.AuxiliaryLossWeight;
    /// <summary>The average pool's window; not used with <see cref="PoolOutput"/>.</summary>
    public int PoolKernel { get; set; } = LayerDefaults.AuxiliaryPoolKernel;
    /// <summary>The average pool's stride; not used with <see cref="PoolOutput"/>.</summary>
    public int PoolStride { get; set; } = LayerDefaults.AuxiliaryPoolStride;
    /// <summary>The average pool rounds its output size up, as Caffe (true); false floors, as PyTorch's <c>avg_pool2d</c> by default.</summary>
    public bool PoolCeilMode { get; set; } = LayerDefaults.AuxiliaryPoolCeilMode;
    /// <summary>When above 0, an adaptive average pool to this × this (torchvision GoogLeNet's 4) replaces the average pool.</summary>
    public int PoolOutput { get; set; } = LayerDefaults.AuxiliaryPoolOutput;
    /// <summary>The 1x1 convolution's output channels.</summary>
    public int ConvChannels { get; set; } = LayerDefaults.AuxiliaryConvChannels;
    /// <summary>When above 0, a second convolution (<see cref="SecondConvKernel"/>, stride 1, no padding) with this many channels follows the first (Inception-v3's 768 5x5).</summary>
    public int SecondConvChannels { get; set; } = LayerDefaults.AuxiliarySecondConvChannels;
    /// <summary>The second convolution's kernel height and width.</summary>
    public int SecondConvKernel { get; set; } = LayerDefaults.AuxiliarySecondConvKernel;
    /// <summary>Each convolution is torchvision's BasicConv2d: no bias, BatchNorm, then ReLU (parameters <c>conv.weight</c> and <c>bn.*</c> under its name).</summary>
    public bool BatchNorm { get; set; } = LayerDefaults.ConvBatchNorm;
    /// <summary>The BatchNorms' <c>eps</c> (PyTorch's default 1e-5; torchvision's BasicConv2d uses 0.001).</summary>
    public double BatchNormEpsilon { get; set; } = LayerDefaults.BatchNormEpsilon;
    /// <summary>The BatchNorms' <c>momentum</c>, in [0, 1].</summary>
    public double BatchNormMomentum { get; set; } = LayerDefaults.BatchNormMomentum;
    /// <summary>An adaptive average pool to 1x1 after the convolutions, before the flatten (Inception-v3's head).</summary>
    public bool GlobalPool { get; set; } = LayerDefaults.AuxiliaryGlobalPool;
    /// <summary>The hidden FC layer's width (with ReLU); 0 for none, the classifier then reads the flattened map.</summary>
    public int HiddenUnits { get; set; } = LayerDefaults.AuxiliaryHiddenUnits;
    /// <summary>Dropout before the classifier; 0 for none.</summary>
    public float DropoutRate { get; set; } = LayerDefaults.AuxiliaryDropoutRate;
    /// <summary>How the head's parameters are named in weight files (see <see cref="AuxiliaryNames"/>).</summary>
    public AuxiliaryNames Names { get; set; } = (AuxiliaryNames)LayerDefaults.AuxiliaryNameStyle;
}

/// <summary>The names of an auxiliary head's layers in weight files and <c>state_dict</c>s.</summary>
public enum AuxiliaryNames
{
    /// <summary><c>conv</c> (and <c>conv2</c>), <c>hidden</c>, <c>classifier</c>.</summary>
    Caffe = 0,

    /// <summary>
    /// torchvision's <c>InceptionAux</c>: one convolution is <c>conv</c>, two are <c>conv0</c> and <c>conv1</c>; with a
    /// hidden layer the FCs are <c>fc1</c> and <c>fc2</c> (GoogLeNet), without it <c>fc</c> (Inception-v3).
    /// </summary>
    Torchvision = 1,
}

/// <summary>Inverted dropout: in training each activation is zeroed with probability <see cref="Rate"/> and the rest scaled by 1/(1-Rate); identity in inference. Declare the property as <see cref="InceptionGen.Dropout"/>.</summary>
public sealed class DropoutAttribute(float rate) : LayerAttribute
{
    public float Rate { get; } = rate;
}

/// <summary>A fully connected layer on a vector (a C×1×1 map, e.g. after global average pooling, or a flattened map). Declare the property as <see cref="InceptionGen.Linear"/>.</summary>
public sealed class LinearAttribute(int outFeatures) : LayerAttribute
{
    public int OutFeatures { get; } = outFeatures;
    public bool Bias { get; set; } = LayerDefaults.LinearBias;
    /// <summary>ReLU after the layer; off by default, since a Linear is usually the classifier.</summary>
    public bool Relu { get; set; } = LayerDefaults.LinearRelu;
}

/// <summary>Flattens a C×H×W map into a vector of C·H·W features in NCHW order, as PyTorch's <c>flatten(1)</c>. Declare the property as <see cref="InceptionGen.Flatten"/>.</summary>
public sealed class FlattenAttribute : LayerAttribute
{
}

/// <summary>
/// Base of a user-declared module: derive an attribute class from it, mark the class with <see cref="InceptionModuleAttribute"/>,
/// declare its parameters as public <c>int</c> properties with setters and its branches as <see cref="Branch"/> properties
/// carrying layer attributes. Use it on a network property of type <see cref="Module"/>, or inside another module's branch.
/// See docs/modules.md.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = true, Inherited = false)]
public abstract class ModuleAttribute : LayerAttribute
{
}

/// <summary>How a module combines its branches.</summary>
public enum ModuleCombine
{
    /// <summary>Concatenated along channels, in declaration order.</summary>
    Concat,
    /// <summary>Input + <see cref="InceptionModuleAttribute.ResidualScale"/> × concat(branches), which must have the input's channels.</summary>
    Residual,
}

/// <summary>Marks a <see cref="ModuleAttribute"/> class as a module and sets how its branches combine.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class InceptionModuleAttribute : Attribute
{
    /// <summary>Concat (the default) or a residual sum with the module's input.</summary>
    public ModuleCombine Combine { get; set; } = ModuleCombine.Concat;
    /// <summary>A residual module's scale of the branches' concat before it is added to the input.</summary>
    public float ResidualScale { get; set; } = 1f;
    /// <summary>ReLU after a residual module's sum (Inception-ResNet); a concat module's branches end in their own.</summary>
    public bool Relu { get; set; }
}

/// <summary>
/// The type of a module's branch property: <c>[Conv(...)] [Conv(...)] public Branch Branch3x3 { get; }</c>. It holds nothing;
/// the layer attributes on the property, in source order, are the branch.
/// </summary>
public readonly struct Branch
{
}
