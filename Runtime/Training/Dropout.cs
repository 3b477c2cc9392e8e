using System.Numerics.Tensors;

namespace InceptionGen.Training;

/// <summary>
/// Inverted dropout for training: each stored float is kept with probability 1 − rate and scaled by 1/(1 − rate), or
/// zeroed, so inference needs no rescaling (dropout is the identity there). The mask is a pure function of
/// (seed, step, image, layer) and the float's position, so a batch gives the same result on any number of threads,
/// and a step can be replayed. It covers every stored float, padding channels included (they hold zeros anyway).
/// </summary>
public static class Dropout
{
    /// <summary>
    /// Writes <paramref name="mask"/>[i] = 0 (dropped, probability <paramref name="rate"/>) or 1/(1 − rate), and
    /// <paramref name="output"/> = <paramref name="input"/> · mask. <paramref name="output"/> may be <paramref name="input"/> itself.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is not in [0, 1).</exception>
    public static void Forward(ReadOnlySpan<float> input, Span<float> output, Span<float> mask, float rate, ulong seed, long step, int image, int layer)
    {
        if (output.Length != input.Length || mask.Length != input.Length)
        {
            throw new ArgumentException($"Input, output and mask must be equally long; they have {input.Length}, {output.Length} and {mask.Length} floats.");
        }

        Mask(mask, rate, seed, step, image, layer);
        TensorPrimitives.Multiply(input, mask, output);
    }

    /// <summary>
    /// Writes the mask <see cref="Forward"/> uses for (seed, step, image, layer): 0 (dropped) or 1/(1 − rate) per stored
    /// float, by position, so a shorter mask is a prefix of a longer one. For exporting the masks of a training step
    /// (the generated pass numbers its dropout layers 0, 1, … in graph order and its images from 0 within the batch,
    /// and <c>TrainingStep</c> is incremented before the step runs).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is not in [0, 1).</exception>
    public static void Mask(Span<float> mask, float rate, ulong seed, long step, int image, int layer)
    {
        if (!(rate >= 0f && rate < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "A dropout rate must be at least 0 and below 1.");
        }

        var keep = 1f / (1f - rate);
        var random = new SplitMix64(StreamSeed(seed, step, image, layer));
        for (var i = 0; i < mask.Length; i++)
        {
            // NextSingle is a multiple of 2^-24 in [0, 1), so a float is dropped with probability rate (rounded up to 2^-24).
            mask[i] = random.NextSingle() < rate ? 0f : keep;
        }
    }

    /// <summary><paramref name="inputGradient"/> += <paramref name="outputGradient"/> · <paramref name="mask"/>; an empty input gradient is skipped.</summary>
    public static void Backward(ReadOnlySpan<float> mask, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        if (inputGradient.IsEmpty)
        {
            return;
        }

        if (outputGradient.Length != mask.Length || inputGradient.Length != mask.Length)
        {
            throw new ArgumentException($"Mask, output gradient and input gradient must be equally long; they have {mask.Length}, {outputGradient.Length} and {inputGradient.Length} floats.");
        }

        TensorPrimitives.MultiplyAdd(outputGradient, mask, inputGradient, inputGradient);
    }

    /// <summary>
    /// The seed of one mask's SplitMix64 stream: each number is folded in by xor, then one SplitMix64 step (a bijection
    /// followed by a strong mix), so any change of any number gives an unrelated stream.
    /// </summary>
    internal static ulong StreamSeed(ulong seed, long step, int image, int layer)
    {
        var state = Mix(seed);
        state = Mix(state ^ (ulong)step);
        state = Mix(state ^ (ulong)(uint)image);
        return Mix(state ^ (ulong)(uint)layer);

        static ulong Mix(ulong value) => new SplitMix64(value).Next();
    }
}
