using System.Linq;
using InceptionGen.Generator.Model;

namespace InceptionGen.Generator.Planning;

/// <summary>How a tensor's floats are ordered for one image.</summary>
internal enum TensorLayout
{
    /// <summary>NCHW16c: channel blocks of 16, each a height × width grid of 16-float pixels.</summary>
    Blocked,
    /// <summary>A plain vector or NCHW map: the network input, flattened maps and linear outputs.</summary>
    Plain,
}

/// <summary>Where a tensor lives.</summary>
internal enum TensorStorage
{
    /// <summary>The caller's input span.</summary>
    Input,
    /// <summary>The caller's output span.</summary>
    Output,
    /// <summary>A slot of the activation arena, placed by the memory plan.</summary>
    Arena,
    /// <summary>Used only in training (auxiliary heads); inference gives it no memory.</summary>
    TrainingOnly,
    /// <summary>No op reads or writes it any more (a tensor a later planning step made redundant); it gets no memory.</summary>
    Unused,
}

/// <summary>
/// One tensor of the network for one image. <see cref="PhysicalChannels"/> counts the channels of the
/// blocked storage (whole blocks, gaps included); <see cref="ChannelMap"/> gives the physical channel
/// of each logical one when a concat leaves gaps (empty: identity). <see cref="AliasOf"/> names the tensor
/// whose memory this one shares in inference (a dropout's output is its input there). In training every
/// tensor has its own slot at <see cref="TrainingOffset"/> (per image), in the training activations and,
/// at the same offset, in the activation gradients.
/// </summary>
internal sealed record TensorPlan(
    int Id,
    string Name,
    int Channels,
    int PhysicalChannels,
    int Height,
    int Width,
    TensorLayout Layout,
    TensorStorage Storage,
    int ArenaOffset,
    EquatableArray<int> ChannelMap,
    int AliasOf = -1,
    int TrainingOffset = -1)
{
    /// <summary>Floats of one image's tensor as stored.</summary>
    public int Length => (Layout == TensorLayout.Blocked ? PhysicalChannels : Channels) * Height * Width;

    public bool IsVector => Height == 1 && Width == 1;

    public string ShapeText => $"{Channels}x{Height}x{Width}";
}

/// <summary>The primitive operations a layer lowers to.</summary>
internal enum OpKind
{
    /// <summary>Network input (NCHW) to the blocked layout.</summary>
    InputToBlocked,
    Conv,
    MaxPool,
    AvgPool,
    GlobalAveragePool,
    /// <summary>PyTorch's adaptive average pool to the op's output size.</summary>
    AdaptiveAveragePool,
    LocalResponseNorm,
    Linear,
    /// <summary>Blocked map to a plain NCHW vector (flatten, or the network's output).</summary>
    BlockedToPlain,
    /// <summary>Copies a map into the interior of a larger one with a zero border, ahead of a padded convolution.</summary>
    Pad,
    /// <summary>Copies the final plain vector to the caller's output.</summary>
    CopyToOutput,
    /// <summary>Inverted dropout, training only: inference reads its input in place of its output.</summary>
    Dropout,
    /// <summary>BatchNorm (per-channel scale and shift, with a fused ReLU); folded into the convolution before it for inference when it can be.</summary>
    BatchNorm,
}

/// <summary>
/// The register tile of a convolution: <c>WideBlocks</c> output-channel blocks × <c>WidePixels</c> pixels of
/// one row when a block is one register (AVX-512, 32 registers), and 1 block × <c>NarrowPixels</c> pixels when
/// a block takes two or four (AVX2 with 16 registers, NEON with 32). Sized so that accumulators, the weight
/// vectors and one broadcast all stay in registers.
/// </summary>
internal sealed record ConvTiling(int WideBlocks, int WidePixels, int NarrowPixels);

/// <summary>
/// How a convolution's gradients are computed by the vectorized kernels.
/// <list type="bullet">
/// <item>Input gradient (stride 1 only): a transposed convolution, run by the forward micro-kernels over the
/// output gradient padded by kernel − 1 (<see cref="ScratchOffset"/> in the training memory, per image),
/// with the flipped weights packed at <see cref="TransposedOffset"/>, tiled as <see cref="TransposedTiling"/>.</item>
/// <item>Weight gradient: register tiles of <see cref="WeightBlocks"/> output blocks × <see cref="WeightChannels"/>
/// input channels × one kernel row, summed over every pixel of every image into the packed gradient.</item>
/// </list>
/// </summary>
internal sealed record ConvBackwardPlan(int TransposedOffset, ConvTiling? TransposedTiling, int ScratchOffset, int WeightBlocks, int WeightChannels);

/// <summary>
/// One primitive operation: its input and output tensors, and everything its kernel needs as
/// constants. <see cref="OutputChannelOffset"/> is where it writes in a concat (a multiple of 16).
/// <see cref="Kernel"/>, <see cref="Stride"/> and <see cref="Padding"/> are height × width pairs (an LRN's window
/// across channels is its kernel's height).
/// <see cref="TrainingOnly"/> ops (auxiliary heads, dropout) run in the training pass only. A convolution with a
/// <see cref="Winograd"/> plan runs its forward pass by Winograd instead of the direct register tiles.
/// </summary>
internal sealed record OpPlan(
    OpKind Kind,
    string Layer,
    string Part,
    string Description,
    int Input,
    int Output,
    int OutputChannelOffset,
    int InChannels,
    int InHeight,
    int InWidth,
    int OutChannels,
    int OutHeight,
    int OutWidth,
    SizePair Kernel,
    SizePair Stride,
    SizePair Padding,
    bool Relu,
    float Alpha,
    float Beta,
    float K,
    float Rate,
    string? Weights,
    string? Bias,
    long MultiplyAdds,
    bool Auxiliary,
    ConvTiling? Tiling = null,
    int PackedOffset = -1,
    int PackedBiasOffset = -1,
    int LoopChannels = 0,
    bool TrainingOnly = false,
    int MaskOffset = -1,
    ConvBackwardPlan? Backward = null,
    bool CeilMode = false,
    OpSchedule? Schedule = null,
    BatchNormPlan? BatchNorm = null,
    WinogradPlan? Winograd = null)
{
    /// <summary>
    /// The dotted name of the layer or part, e.g. <c>Inception3a.Branch2</c>. The network's own ops (input layout,
    /// output copy) have no layer, so no declared layer name can be taken for them: their part is their name.
    /// </summary>
    public string QualifiedName => Layer.Length == 0 ? Part : Part.Length == 0 ? Layer : Layer + "." + Part;

    /// <summary>Whether this is one of the network's own ops (input layout, output copy or layout), not a declared layer's.</summary>
    public bool IsNetworkBoundary => Layer.Length == 0;
}

/// <summary>
/// A BatchNorm's values, on its op and, when the fuse pass folded it for inference, on the convolution before it.
/// </summary>
/// <param name="Prefix">The dotted prefix of its tensors: <c>Conv1.Bn</c> (a convolution's option) or the layer's name.</param>
/// <param name="Epsilon">PyTorch's <c>eps</c>.</param>
/// <param name="Momentum">PyTorch's <c>momentum</c> for the running statistics.</param>
/// <param name="Relu">Whether a ReLU follows it: on the BN op in training, and on the folded convolution in inference.</param>
/// <param name="Channels">Logical channels.</param>
/// <param name="PhysicalChannels">Channels of the blocked storage (whole blocks).</param>
/// <param name="WorkspaceOffset">Floats into the BN workspace: mean, inverse std, scale, shift, and the backward's three coefficients, each <paramref name="PhysicalChannels"/> long.</param>
/// <param name="SumsOffset">Doubles into the BN sums: Σx, Σx², Σdy, Σdy·(x − mean), each <paramref name="PhysicalChannels"/> long.</param>
/// <param name="FoldedOffset">On a convolution that folds it: floats into the packed block of the folded OIHW weights, then the folded bias; else -1.</param>
/// <param name="Folded">On the BN op: whether the convolution before it folds it for inference (the BN op then runs in training only).</param>
/// <param name="StateDictNames">Whether <paramref name="Prefix"/> is already a state_dict prefix (a declared Name, or a module's layer): its tensors then take PyTorch's own names (<c>.weight</c>, <c>.running_mean</c>).</param>
internal sealed record BatchNormPlan(string Prefix, double Epsilon, double Momentum, bool Relu, int Channels, int PhysicalChannels,
    int WorkspaceOffset = -1, int SumsOffset = -1, int FoldedOffset = -1, bool Folded = false, bool StateDictNames = false)
{
    public string Weight => Prefix + (StateDictNames ? ".weight" : ".Weights");
    public string Bias => Prefix + (StateDictNames ? ".bias" : ".Bias");
    public string RunningMean => Prefix + (StateDictNames ? ".running_mean" : ".RunningMean");
    public string RunningVariance => Prefix + (StateDictNames ? ".running_var" : ".RunningVar");
    public string NumBatchesTracked => Prefix + (StateDictNames ? ".num_batches_tracked" : ".NumBatchesTracked");

    /// <summary>Floats of one op's workspace and doubles of its sums.</summary>
    public int WorkspaceLength => 7 * PhysicalChannels;

    public int SumsLength => 4 * PhysicalChannels;
}

/// <summary>
/// How an op is split into worker-pool items and named in the generated code, decided once by the planner's
/// schedule pass; the emitted code and the runtime read these numbers and never recompute them.
/// </summary>
/// <param name="Index">The op's index in the plan: the worker-pool operation number of its forward run.</param>
/// <param name="Stem">The op's part of every generated identifier that belongs to it (<c>Inception3a_Branch2</c>), unique in the network.</param>
/// <param name="ForwardItemsWide">Forward items per image with Vector512 (register tiles of several blocks).</param>
/// <param name="ForwardItemsNarrow">Forward items per image with Vector256 or Vector128.</param>
/// <param name="ForwardItemsScalar">Forward items per image without SIMD (the scalar reference kernels).</param>
/// <param name="PassItems">Items for the whole pass instead of per image (a Linear op's chunks of output rows), else 0.</param>
/// <param name="BackwardItemsPerImage">Input-gradient items per image with SIMD (blocks or rows); 1 when it runs whole images.</param>
/// <param name="WeightGradientItems">Weight-gradient items with SIMD (convolution: block group × channel chunk, then bias blocks; Linear: row chunks); 1 without.</param>
/// <param name="BandRows">Output rows per band of a convolution's weight gradient.</param>
/// <param name="PackedLength">Floats of a convolution's packed weights.</param>
internal sealed record OpSchedule(
    int Index,
    string Stem,
    int ForwardItemsWide,
    int ForwardItemsNarrow,
    int ForwardItemsScalar,
    int PassItems,
    int BackwardItemsPerImage,
    int WeightGradientItems,
    int BandRows,
    int PackedLength);

/// <summary>
/// One register-tile kernel: <see cref="Blocks"/> output-channel blocks × <see cref="Width"/> (pixels of a
/// convolution tile, input channels of a weight-gradient tile), for a kernel and a stride (height × width). The
/// kernels are shared by every network of a compilation, in one generated class.
/// </summary>
internal sealed record RegisterTile(int Blocks, int Width, SizePair Kernel, SizePair Stride) : System.IComparable<RegisterTile>
{
    public int CompareTo(RegisterTile? other)
        => other is null ? 1
            : Blocks != other.Blocks ? Blocks.CompareTo(other.Blocks)
            : Width != other.Width ? Width.CompareTo(other.Width)
            : Kernel.Height != other.Kernel.Height ? Kernel.Height.CompareTo(other.Kernel.Height)
            : Kernel.Width != other.Kernel.Width ? Kernel.Width.CompareTo(other.Kernel.Width)
            : Stride.Height != other.Stride.Height ? Stride.Height.CompareTo(other.Stride.Height)
            : Stride.Width.CompareTo(other.Stride.Width);
}

/// <summary>
/// The network-wide scheduling numbers: images per pass and the worker-pool operation numbers. Emitted as the
/// generated <c>Schedule</c> (a <c>global::InceptionGen.NetworkSchedule</c>), which the runtime's profiler reads.
/// </summary>
internal sealed record SchedulePlan(
    int ImagesPerPass,
    int TrainingImagesPerPass,
    int LinearRowsPerItem,
    int BackwardOperationBase,
    int PackWeightsOperation,
    int PackTransposedWeightsOperation,
    int AddPackedGradientsOperation)
{
    /// <summary>
    /// Images per forward pass: measured on GoogLeNet at batch 32 on 2 cores, 1 image 122 images/s, 2 images 124.5,
    /// 4 images 108 (the tensors of 4 images no longer stay in cache). Training: passes of 4 (a step 1.07 s with 2,
    /// 0.96 s with 4, 1.02 s with 8), where weight gradients gain more from reuse than the cache loses.
    /// Linear layers: items of 64 output rows. Backward ops run under 2^16 + 2i (input gradient) and + 2i + 1
    /// (weight gradients); the per-step network work just below that base.
    /// </summary>
    public static readonly SchedulePlan Default = new(
        ImagesPerPass: 2,
        TrainingImagesPerPass: 4,
        LinearRowsPerItem: 64,
        BackwardOperationBase: 1 << 16,
        PackWeightsOperation: (1 << 16) - 1,
        PackTransposedWeightsOperation: (1 << 16) - 2,
        AddPackedGradientsOperation: (1 << 16) - 3);
}

/// <summary>One tensor of the parameter block.</summary>
internal sealed record ParameterPlan(string Name, int Offset, EquatableArray<int> Shape, bool IsBias, int FanIn, bool FeedsRelu, bool Auxiliary, string? Role = null)
{
    /// <summary>The runtime's <c>ParameterRole</c> name.</summary>
    public string RoleName => Role ?? (IsBias ? "Bias" : "Weight");

    /// <summary>A BatchNorm's running statistics: saved with the parameters, not trained and not counted as parameters.</summary>
    public bool IsBuffer => Role is "RunningMean" or "RunningVariance" or "BatchCount";

    public int Length
    {
        get
        {
            var length = 1;
            foreach (var dimension in Shape)
            {
                length *= dimension;
            }

            return length;
        }
    }
}

/// <summary>A row of the generated summary.</summary>
internal sealed record SummaryRow(string Name, string Kind, int Channels, int Height, int Width, long Parameters, long MultiplyAdds, int Depth, bool Auxiliary);

/// <summary>An auxiliary head's loss: its logits tensor and the weight of its loss.</summary>
internal sealed record AuxiliaryLossPlan(string Layer, int Logits, float Weight);

/// <summary>A declared layer with the shape it produces, for the generated property and its handle.</summary>
internal sealed record LayerPlan(LayerModel Model, int Channels, int Height, int Width, string? TappedLayer);

/// <summary>
/// Everything the emitter needs for one network: shapes, ops in execution order, the parameter block
/// and the activation memory plan, the counts, and the diagnostics.
/// </summary>
internal sealed record NetworkPlan(
    NetworkModel Model,
    EquatableArray<LayerPlan> Layers,
    EquatableArray<TensorPlan> Tensors,
    EquatableArray<OpPlan> Ops,
    EquatableArray<ParameterPlan> Parameters,
    EquatableArray<SummaryRow> Summary,
    int ParameterBlockLength,
    int PackedWeightsLength,
    int ActivationLengthPerImage,
    int InputTensor,
    int OutputTensor,
    long ParameterCount,
    long AuxiliaryParameterCount,
    long ConvolutionMultiplyAdds,
    long LinearMultiplyAdds,
    long AuxiliaryMultiplyAdds,
    EquatableArray<DiagnosticInfo> Diagnostics,
    int TrainingLengthPerImage = 0,
    int TransposedWeightsLength = 0,
    int Logits = -1,
    EquatableArray<AuxiliaryLossPlan> AuxiliaryLosses = default,
    SchedulePlan? Schedule = null,
    EquatableArray<RegisterTile> ConvolutionTiles = default,
    EquatableArray<RegisterTile> WeightGradientTiles = default,
    int BatchNormWorkspaceLength = 0,
    int BatchNormSumsLength = 0)
{
    /// <summary>Whether the network has BatchNorm ops (their members are emitted only then, so other networks' code is unchanged).</summary>
    public bool HasBatchNorm => Ops.Any(op => op.Kind == OpKind.BatchNorm);


    /// <summary>Whether the training pass is generated: the network ends in a vector of class scores.</summary>
    public bool IsTrainable => Logits >= 0;

    /// <summary>A plan that carries only diagnostics: nothing is emitted from it.</summary>
    public static NetworkPlan Failed(NetworkModel model, System.Collections.Generic.IEnumerable<DiagnosticInfo> diagnostics)
        => new(model, default, default, default, default, default, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, diagnostics.ToEquatableArray());

    /// <summary>Whether code is generated: no error, and nothing the compiler could not bind.</summary>
    public bool IsEmittable => !Model.Incomplete && !Diagnostics.Any(diagnostic =>
        InceptionGen.Generator.Diagnostics.DiagnosticDescriptors.ById(diagnostic.Id).DefaultSeverity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error);

    /// <summary>The plan with every source location and diagnostic removed: what the emitter needs, and no more.</summary>
    public NetworkPlan WithoutLocations()
        => this with
        {
            Model = Model with
            {
                Location = null,
                Diagnostics = EquatableArray<DiagnosticInfo>.Empty,
                Layers = Model.Layers.Select(layer => layer.WithoutLocations()).ToEquatableArray(),
            },
            Layers = Layers.Select(layer => layer with { Model = layer.Model.WithoutLocations() }).ToEquatableArray(),
            Diagnostics = EquatableArray<DiagnosticInfo>.Empty,
        };

    public TensorPlan InputTensorPlan => Tensors[InputTensor];

    public TensorPlan OutputTensorPlan => Tensors[OutputTensor];
}
