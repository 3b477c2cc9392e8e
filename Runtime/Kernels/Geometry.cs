namespace InceptionGen.Kernels;

/// <summary>Shape of one convolution on one image. Kernel, stride and padding are square.</summary>
public readonly record struct ConvGeometry(
    int InChannels, int InHeight, int InWidth,
    int OutChannels, int OutHeight, int OutWidth,
    int Kernel, int Stride, int Padding, bool Relu);

/// <summary>Shape of one pooling on one image. <see cref="Channels"/> counts physical channels (whole blocks).</summary>
public readonly record struct PoolGeometry(
    int Channels, int InHeight, int InWidth,
    int OutHeight, int OutWidth,
    int Kernel, int Stride, int Padding);
