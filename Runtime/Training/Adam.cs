using System.Numerics.Tensors;

namespace InceptionGen.Training;

/// <summary>
/// Adam, as PyTorch's <c>torch.optim.Adam</c>, or with decoupled weight decay as <c>torch.optim.AdamW</c>.
/// At step t:
/// <code>
/// Adam:   g = g + λw                      AdamW:  w = w·(1 − lr·λ)
/// m = β₁m + (1 − β₁)g
/// v = β₂v + (1 − β₂)g²
/// w −= lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
/// </code>
/// The bias corrections and ε sit where PyTorch puts them: ε is added after √v is divided by √(1 − β₂ᵗ).
/// </summary>
public sealed class Adam : BlockOptimizer
{
    private AlignedBuffer? _firstMoment;
    private AlignedBuffer? _secondMoment;
    private float _stepSize;
    private float _secondCorrection;
    private float _decayFactor;

    /// <param name="learningRate">lr, at least 0; change it between steps through <see cref="BlockOptimizer.LearningRate"/>.</param>
    /// <param name="beta1">β₁ in [0, 1).</param>
    /// <param name="beta2">β₂ in [0, 1).</param>
    /// <param name="epsilon">ε &gt; 0.</param>
    /// <param name="weightDecay">λ: L2 added to the gradient (Adam), or, decoupled, <c>w·(1 − lr·λ)</c> before the update (AdamW).</param>
    /// <param name="decoupledWeightDecay">AdamW's decoupled decay instead of Adam's L2.</param>
    /// <param name="decayBiases">Whether λ applies to biases too.</param>
    public Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f, bool decoupledWeightDecay = false, bool decayBiases = true)
        : base(learningRate, weightDecay, decayBiases)
    {
        if (!(beta1 >= 0 && beta1 < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "β₁ must be in [0, 1).");
        }

        if (!(beta2 >= 0 && beta2 < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "β₂ must be in [0, 1).");
        }

        if (!(epsilon > 0) || !float.IsFinite(epsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be finite and above 0.");
        }

        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        DecoupledWeightDecay = decoupledWeightDecay;
    }

    /// <summary>AdamW: <see cref="Adam"/> with decoupled weight decay (PyTorch's <c>AdamW</c> defaults: λ = 0.01).</summary>
    public static Adam AdamW(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 1e-2f, bool decayBiases = true) =>
        new(learningRate, beta1, beta2, epsilon, weightDecay, decoupledWeightDecay: true, decayBiases);

    /// <summary>β₁.</summary>
    public float Beta1 { get; }

    /// <summary>β₂.</summary>
    public float Beta2 { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <summary>Whether weight decay is decoupled (AdamW) rather than L2 in the gradient (Adam).</summary>
    public bool DecoupledWeightDecay { get; }

    /// <summary>The first moment <c>m</c> (no bias correction), laid out like the parameters; empty before the first step.</summary>
    public ReadOnlySpan<float> FirstMoment => _firstMoment is null ? default : _firstMoment.Span;

    /// <summary>The second moment <c>v</c> (no bias correction), laid out like the parameters; empty before the first step.</summary>
    public ReadOnlySpan<float> SecondMoment => _secondMoment is null ? default : _secondMoment.Span;

    /// <inheritdoc/>
    /// <remarks>Two blocks: <c>first_moment</c> (m) and <c>second_moment</c> (v).</remarks>
    public override IReadOnlyList<string> StateNames => s_stateNames;

    private static readonly string[] s_stateNames = ["first_moment", "second_moment"];

    private protected override AlignedBuffer? StateBuffer(int index) => index == 0 ? _firstMoment : _secondMoment;

    private protected override void SetStateBuffer(int index, AlignedBuffer? block)
    {
        if (index == 0)
        {
            _firstMoment = block;
        }
        else
        {
            _secondMoment = block;
        }
    }

    private protected override void EnsureState(int length)
    {
        _firstMoment = StateBlock(_firstMoment, length);
        _secondMoment = StateBlock(_secondMoment, length);
    }

    private protected override void PrepareStep()
    {
        // The scalars in double, as PyTorch computes them in Python, then rounded once to float.
        var step = (double)StepCount;
        var firstCorrection = 1 - Math.Pow(Beta1, step);
        _stepSize = (float)(LearningRate / firstCorrection);
        _secondCorrection = (float)Math.Sqrt(1 - Math.Pow(Beta2, step));
        _decayFactor = (float)(1 - (double)LearningRate * WeightDecay);
    }

    private protected override void UpdateChunk(int offset, Span<float> weights, ReadOnlySpan<float> gradients, bool decay, Span<float> scratch1, Span<float> scratch2)
    {
        var m = _firstMoment!.Span.Slice(offset, weights.Length);
        var v = _secondMoment!.Span.Slice(offset, weights.Length);

        ReadOnlySpan<float> g = gradients;
        if (decay)
        {
            if (DecoupledWeightDecay)
            {
                // w = w·(1 − lr·λ)
                TensorPrimitives.Multiply(weights, _decayFactor, weights);
            }
            else
            {
                // g = g + λw
                TensorPrimitives.MultiplyAdd(weights, WeightDecay, gradients, scratch1);
                g = scratch1;
            }
        }

        // m = β₁m + (1 − β₁)g
        TensorPrimitives.Multiply(m, Beta1, m);
        TensorPrimitives.MultiplyAdd(g, 1 - Beta1, m, m);

        // v = β₂v + (1 − β₂)g²
        TensorPrimitives.Multiply(g, g, scratch2);
        TensorPrimitives.Multiply(v, Beta2, v);
        TensorPrimitives.MultiplyAdd(scratch2, 1 - Beta2, v, v);

        // w += −lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
        TensorPrimitives.Sqrt(v, scratch2);
        TensorPrimitives.Divide(scratch2, _secondCorrection, scratch2);
        TensorPrimitives.Add(scratch2, Epsilon, scratch2);
        TensorPrimitives.Divide(m, scratch2, scratch2);
        TensorPrimitives.MultiplyAdd(scratch2, -_stepSize, weights, weights);
    }
}
