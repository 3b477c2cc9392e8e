using System;
using InceptionGen.Generator.Emitting;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Descriptors;

/// <summary>
/// One kind of primitive op, in one place (after Riok/Mapperly's descriptors): how it splits into worker-pool
/// items, its forward and backward code, and its node in the PyTorch-terms graph. The plan holds only values
/// (<see cref="OpPlan"/> with its <see cref="OpKind"/>); <see cref="For"/> is the one list of kinds.
/// </summary>
internal abstract class OpDescriptor
{
    private static readonly OpDescriptor s_inputLayout = new InputLayoutOp();
    private static readonly OpDescriptor s_conv = new ConvolutionOp();
    private static readonly OpDescriptor s_maxPool = new PoolOp(max: true);
    private static readonly OpDescriptor s_avgPool = new PoolOp(max: false);
    private static readonly OpDescriptor s_globalAveragePool = new GlobalAveragePoolOp();
    private static readonly OpDescriptor s_adaptiveAveragePool = new AdaptiveAveragePoolOp();
    private static readonly OpDescriptor s_lrn = new LrnOp();
    private static readonly OpDescriptor s_linear = new LinearOp();
    private static readonly OpDescriptor s_flatten = new FlattenOp();
    private static readonly OpDescriptor s_pad = new PadOp();
    private static readonly OpDescriptor s_copyToOutput = new CopyToOutputOp();
    private static readonly OpDescriptor s_dropout = new DropoutOp();
    private static readonly OpDescriptor s_batchNorm = new BatchNormOp();
    private static readonly OpDescriptor s_residualAdd = new ResidualAddOp();

    /// <summary>The descriptor of an op kind.</summary>
    public static OpDescriptor For(OpKind kind) => kind switch
    {
        OpKind.InputToBlocked => s_inputLayout,
        OpKind.Conv => s_conv,
        OpKind.MaxPool => s_maxPool,
        OpKind.AvgPool => s_avgPool,
        OpKind.GlobalAveragePool => s_globalAveragePool,
        OpKind.AdaptiveAveragePool => s_adaptiveAveragePool,
        OpKind.LocalResponseNorm => s_lrn,
        OpKind.Linear => s_linear,
        OpKind.BlockedToPlain => s_flatten,
        OpKind.Pad => s_pad,
        OpKind.CopyToOutput => s_copyToOutput,
        OpKind.Dropout => s_dropout,
        OpKind.BatchNorm => s_batchNorm,
        OpKind.ResidualAdd => s_residualAdd,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "no descriptor for this op kind"),
    };

    /// <summary>Forward items per image with Vector512, with Vector256/128, and without SIMD (the scalar kernels take whole images).</summary>
    public virtual (int Wide, int Narrow, int Scalar) ForwardItemsPerImage(OpPlan op, TensorPlan source) => (1, 1, 1);

    /// <summary>Input-gradient items per image with SIMD; 1 when the backward runs whole images.</summary>
    public virtual int BackwardItemsPerImage(OpPlan op, TensorPlan source) => 1;

    /// <summary>Items for the whole pass instead of per image (a Linear op's chunks of output rows), else 0.</summary>
    public virtual int PassItems(OpPlan op, TensorPlan source, SchedulePlan schedule) => 0;

    /// <summary>Items of the vectorized weight-gradient run; 1 for an op without weights or without a vectorized kernel.</summary>
    public virtual int WeightGradientItems(OpPlan op, TensorPlan source, SchedulePlan schedule) => 1;

    /// <summary>Output rows per band of a weight gradient that runs in bands, else 0.</summary>
    public virtual int WeightGradientBandRows(OpPlan op) => 0;

    /// <summary>Floats of the op's packed weights, else 0.</summary>
    public virtual int PackedLength(OpPlan op) => 0;

    /// <summary>
    /// Whether its weight-gradient run writes straight into the gradient block, so its parameters' gradients are final
    /// once that run is done for the last pass (a convolution's are added up in the packed layout until the pass ends).
    /// </summary>
    public virtual bool WritesGradientsInPlace => false;

    /// <summary>The body of the op's pool method: items [begin, end) over <c>memory</c> from <c>inputBase</c> to <c>outputBase</c>.</summary>
    public abstract void WriteForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target);

    /// <summary>The network's own first and last ops run on the calling thread, image by image, on the caller's spans.</summary>
    public virtual void WriteCallerForward(Emitter emitter, OpPlan op, TensorPlan source, TensorPlan target)
        => throw new InvalidOperationException($"op {op.Kind} does not run on the calling thread");

    /// <summary>Floats of one image's output the backward reads: a convolution or pool writes whole blocks of its concat slice.</summary>
    public virtual int BackwardOutputLength(OpPlan op, TensorPlan source, TensorPlan target) => target.Length;

    /// <summary>The body of the op's backward method (input gradient, and weight gradients when <c>weights</c>).</summary>
    public abstract void WriteBackward(Emitter emitter, BackwardContext context);

    /// <summary>Whether the op is a node of the graph; layout copies and padding are not (a node reads what they read).</summary>
    public virtual bool InGraph => true;

    /// <summary>The graph node's constructor call, given its common head (name, inputs, output, auxiliary).</summary>
    public virtual string GraphNode(OpPlan op, string head) => throw new InvalidOperationException($"op {op.Kind} has no graph node");

    protected const string GraphTypes = "global::InceptionGen.";
}

/// <summary>
/// What an op's backward method works with: <see cref="Y"/> and <see cref="X"/> give one image's output (its
/// concat slice) and input in the activations or their gradients; <see cref="Wanted"/> guards the input gradient
/// of an op that reads the network input.
/// </summary>
internal sealed record BackwardContext(
    OpPlan Op,
    TensorPlan Source,
    TensorPlan Target,
    Func<string, string> Y,
    Func<string, string> X,
    string InputGradient,
    string Wanted,
    bool ReadsNetworkInput);
