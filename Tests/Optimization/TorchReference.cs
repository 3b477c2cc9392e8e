namespace InceptionGen.Tests.Optimization;

/// <summary>
/// PyTorch's optimizer updates written out plainly, one scalar at a time in double, from the algorithm boxes
/// of the <c>torch.optim.SGD</c>, <c>Adam</c> and <c>AdamW</c> documentation. They keep their own state in
/// double and only read tensor elements (never the gaps); the learning rate is given per step, as a scheduler
/// would set it.
/// </summary>
internal static class TorchReference
{
    /// <summary>
    /// torch.optim.SGD, dampening 0:
    /// g ← g + λθ; b ← g on step 1, else μb + g; g ← g + μb (nesterov) or b; θ ← θ − γg.
    /// </summary>
    public sealed class Sgd(double momentum, double weightDecay, bool nesterov, Func<ParameterTensor, bool> decays)
    {
        private double[]? _buffer;
        private long _t;

        public double[] Buffer => _buffer!;

        public void Step(IReadOnlyList<ParameterTensor> tensors, double[] theta, float[] gradients, double learningRate)
        {
            _t++;
            _buffer ??= new double[theta.Length];
            foreach (var tensor in tensors)
            {
                var lambda = decays(tensor) ? weightDecay : 0.0;
                for (var i = tensor.Offset; i < tensor.Offset + tensor.Length; i++)
                {
                    double g = gradients[i];
                    if (lambda != 0)
                    {
                        g += lambda * theta[i];
                    }

                    if (momentum != 0)
                    {
                        _buffer[i] = _t == 1 ? g : momentum * _buffer[i] + g;
                        g = nesterov ? g + momentum * _buffer[i] : _buffer[i];
                    }

                    theta[i] -= learningRate * g;
                }
            }
        }
    }

    /// <summary>
    /// torch.optim.Adam (decoupled = false): g ← g + λθ; or torch.optim.AdamW (decoupled = true): θ ← θ − γλθ. Then
    /// m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; m̂ = m / (1 − β₁ᵗ); v̂ = v / (1 − β₂ᵗ); θ ← θ − γ m̂ / (√v̂ + ε).
    /// </summary>
    /// <remarks>
    /// <paramref name="variant"/> gives two common near-misses, which the tests use to show their tolerance
    /// tells them apart: no bias correction, and ε added before √v is divided by √(1 − β₂ᵗ) (the Adam paper's
    /// "more efficient" ordering, which Keras uses).
    /// </remarks>
    public sealed class Adam(double beta1, double beta2, double epsilon, double weightDecay, bool decoupled, Func<ParameterTensor, bool> decays, AdamVariant variant = AdamVariant.PyTorch)
    {
        private double[]? _m;
        private double[]? _v;
        private long _t;

        public double[] FirstMoment => _m!;

        public double[] SecondMoment => _v!;

        public void Step(IReadOnlyList<ParameterTensor> tensors, double[] theta, float[] gradients, double learningRate)
        {
            _t++;
            _m ??= new double[theta.Length];
            _v ??= new double[theta.Length];
            foreach (var tensor in tensors)
            {
                var lambda = decays(tensor) ? weightDecay : 0.0;
                for (var i = tensor.Offset; i < tensor.Offset + tensor.Length; i++)
                {
                    double g = gradients[i];
                    if (decoupled)
                    {
                        theta[i] -= learningRate * lambda * theta[i];
                    }
                    else
                    {
                        g += lambda * theta[i];
                    }

                    _m[i] = beta1 * _m[i] + (1 - beta1) * g;
                    _v[i] = beta2 * _v[i] + (1 - beta2) * g * g;
                    var firstCorrection = 1 - Math.Pow(beta1, _t);
                    var secondCorrection = 1 - Math.Pow(beta2, _t);
                    var mHat = _m[i] / firstCorrection;
                    var vHat = _v[i] / secondCorrection;
                    theta[i] -= variant switch
                    {
                        AdamVariant.PyTorch => learningRate * mHat / (Math.Sqrt(vHat) + epsilon),
                        AdamVariant.NoBiasCorrection => learningRate * _m[i] / (Math.Sqrt(_v[i]) + epsilon),
                        AdamVariant.EpsilonBeforeCorrection => learningRate * mHat / ((Math.Sqrt(_v[i]) + epsilon) / Math.Sqrt(secondCorrection)),
                        _ => throw new ArgumentOutOfRangeException(nameof(variant)),
                    };
                }
            }
        }
    }

    public enum AdamVariant
    {
        PyTorch,
        NoBiasCorrection,
        EpsilonBeforeCorrection,
    }

    /// <summary>Every tensor decays.</summary>
    public static bool All(ParameterTensor tensor) => true;

    /// <summary>Weights decay, biases do not (biases in a parameter group with weight_decay 0).</summary>
    public static bool WeightsOnly(ParameterTensor tensor) => tensor.Role != ParameterRole.Bias;
}
