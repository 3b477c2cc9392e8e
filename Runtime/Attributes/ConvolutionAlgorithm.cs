namespace InceptionGen;

/// <summary>How a network's convolutions are computed: <see cref="NetworkAttribute.Convolution"/>. <c>summary</c> shows each layer's choice.</summary>
public enum ConvolutionAlgorithm
{
    /// <summary>
    /// Per layer by the generator's cost model: direct convolution, or Winograd F(2x2,3x3) for a 3x3 stride-1 convolution
    /// where it is cheaper. F(2,3)'s results differ from direct ones by float rounding only (measured: at most 5.3e-7 of
    /// the largest output against a float64 direct convolution).
    /// </summary>
    Auto = 0,

    /// <summary>Direct convolution everywhere, for bit-compatibility with the direct path.</summary>
    Direct = 1,

    /// <summary>
    /// As <see cref="Auto"/>, and Winograd F(4x4,3x3) where the cost model prefers it: 4x fewer multiplications than direct
    /// (F(2,3): 2.25x), at up to 7.4e-6 of the largest output (measured). That is enough to flip near-ties of max pools
    /// downstream: GoogLeNet's gradients then leave the 1e-3 agreement with PyTorch (inception4e's 5x5 branch at 1.3e-2).
    /// </summary>
    Fastest = 2,
}
