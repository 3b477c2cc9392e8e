using System.Numerics.Tensors;

namespace InceptionGen.Training;

/// <summary>
/// Stochastic gradient descent with momentum, as PyTorch's <c>torch.optim.SGD</c> (dampening 0):
/// <c>d = g + λw</c>; <c>v = μv + d</c> (on the first step <c>v = d</c>, which is the same from a zero
/// velocity); <c>w −= lr·v</c>, or with Nesterov momentum <c>w −= lr·(d + μv)</c>. With μ = 0 it is plain
/// SGD, <c>w −= lr·d</c>, and keeps no velocity (as PyTorch keeps no momentum buffer).
/// </summary>
public sealed class SgdMomentum : BlockOptimizer
{
    private AlignedBuffer? _velocity;
    private float _step;
    private int? _stateLength;

    /// <param name="learningRate">lr, at least 0; change it between steps through <see cref="BlockOptimizer.LearningRate"/>.</param>
    /// <param name="momentum">μ in [0, 1).</param>
    /// <param name="weightDecay">λ, L2 added to the gradient (PyTorch's <c>weight_decay</c>).</param>
    /// <param name="nesterov">Nesterov momentum; needs μ &gt; 0, as in PyTorch.</param>
    /// <param name="decayBiases">Whether λ applies to biases too (it does in PyTorch unless they go in their own group).</param>
    public SgdMomentum(float learningRate, float momentum = 0.9f, float weightDecay = 0f, bool nesterov = false, bool decayBiases = true)
        : base(learningRate, weightDecay, decayBiases)
    {
        if (!(momentum >= 0 && momentum < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum must be in [0, 1).");
        }

        if (nesterov && momentum == 0)
        {
            throw new ArgumentException("Nesterov momentum needs a momentum above 0.", nameof(nesterov));
        }

        Momentum = momentum;
        Nesterov = nesterov;
    }

    /// <summary>μ.</summary>
    public float Momentum { get; }

    /// <summary>Whether the update uses Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <summary>The velocity <c>v</c>, laid out like the parameters; empty before the first step, and always when μ = 0.</summary>
    public ReadOnlySpan<float> Velocity => _velocity is null ? default : _velocity.Span;

    /// <inheritdoc/>
    /// <remarks>One block, <c>velocity</c>, when μ &gt; 0; none with plain SGD.</remarks>
    public override IReadOnlyList<string> StateNames => Momentum != 0 ? s_velocityName : [];

    private static readonly string[] s_velocityName = ["velocity"];

    private protected override AlignedBuffer? StateBuffer(int index) => _velocity;

    private protected override void SetStateBuffer(int index, AlignedBuffer? block) => _velocity = block;

    private protected override void EnsureState(int length)
    {
        if (Momentum != 0)
        {
            _velocity = StateBlock(_velocity, length);
        }
        else
        {
            _stateLength ??= length;
            if (_stateLength != length)
            {
                throw new ArgumentException($"This optimizer has stepped a block of {_stateLength} floats; the parameter block holds {length}.", "parameters");
            }
        }
    }

    private protected override void PrepareStep() => _step = -LearningRate;

    private protected override void UpdateChunk(int offset, Span<float> weights, ReadOnlySpan<float> gradients, bool decay, Span<float> scratch1, Span<float> scratch2)
    {
        // d = g + λw
        ReadOnlySpan<float> direction = gradients;
        if (decay)
        {
            TensorPrimitives.MultiplyAdd(weights, WeightDecay, gradients, scratch1);
            direction = scratch1;
        }

        if (_velocity is null)
        {
            // w += −lr·d
            TensorPrimitives.MultiplyAdd(direction, _step, weights, weights);
            return;
        }

        var velocity = _velocity.Span.Slice(offset, weights.Length);

        // v = μv + d
        TensorPrimitives.MultiplyAdd(velocity, Momentum, direction, velocity);

        if (Nesterov)
        {
            // w += −lr·(d + μv)
            TensorPrimitives.MultiplyAdd(velocity, Momentum, direction, scratch2);
            TensorPrimitives.MultiplyAdd(scratch2, _step, weights, weights);
        }
        else
        {
            // w += −lr·v
            TensorPrimitives.MultiplyAdd(velocity, _step, weights, weights);
        }
    }
}
