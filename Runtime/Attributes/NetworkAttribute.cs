namespace InceptionGen;

/// <summary>
/// Marks a <c>partial</c> class as a network. Every <c>partial</c> property of the class that carries a
/// layer attribute is one layer, in declaration order. The source generator checks the definition at
/// build time and emits the forward pass, the parameter block and the summary.
/// </summary>
/// <remarks>The input is one image in NCHW order: <see cref="Channels"/> × <see cref="Height"/> × <see cref="Width"/>.</remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class NetworkAttribute : Attribute
{
    /// <summary>Channels of one input image (3 for RGB).</summary>
    public int Channels { get; set; } = LayerDefaults.InputChannels;

    /// <summary>Height of one input image in pixels.</summary>
    public int Height { get; set; } = LayerDefaults.InputHeight;

    /// <summary>Width of one input image in pixels.</summary>
    public int Width { get; set; } = LayerDefaults.InputWidth;

    /// <summary>How convolutions are computed: chosen per layer (<see cref="ConvolutionAlgorithm.Auto"/>), or direct everywhere.</summary>
    public ConvolutionAlgorithm Convolution { get; set; } = ConvolutionAlgorithm.Auto;
}
