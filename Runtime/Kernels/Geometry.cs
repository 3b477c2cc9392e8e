namespace InceptionGen.Kernels;

/// <summary>
/// Shape of one convolution on one image. Kernel, stride and padding are height × width; the constructor with
/// <c>Kernel</c>, <c>Stride</c> and <c>Padding</c> makes them square.
/// </summary>
public readonly record struct ConvGeometry(
    int InChannels, int InHeight, int InWidth,
    int OutChannels, int OutHeight, int OutWidth,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PaddingHeight, int PaddingWidth, bool Relu)
{
    /// <summary>A square kernel, stride and padding.</summary>
    public ConvGeometry(int InChannels, int InHeight, int InWidth, int OutChannels, int OutHeight, int OutWidth, int Kernel, int Stride, int Padding, bool Relu)
        : this(InChannels, InHeight, InWidth, OutChannels, OutHeight, OutWidth, Kernel, Kernel, Stride, Stride, Padding, Padding, Relu)
    {
    }
}

/// <summary>
/// Shape of one pooling on one image. <see cref="Channels"/> counts physical channels (whole blocks). Window, stride and
/// padding are height × width; the constructor with <c>Kernel</c>, <c>Stride</c> and <c>Padding</c> makes them square.
/// </summary>
public readonly record struct PoolGeometry(
    int Channels, int InHeight, int InWidth,
    int OutHeight, int OutWidth,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth, int PaddingHeight, int PaddingWidth)
{
    /// <summary>A square window, stride and padding.</summary>
    public PoolGeometry(int Channels, int InHeight, int InWidth, int OutHeight, int OutWidth, int Kernel, int Stride, int Padding)
        : this(Channels, InHeight, InWidth, OutHeight, OutWidth, Kernel, Kernel, Stride, Stride, Padding, Padding)
    {
    }
}
