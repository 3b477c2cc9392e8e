// Compiled into the generator too (netstandard2.0), so the attributes' defaults and the values the generator
// assumes for an option that is not set are one and the same.
#if INCEPTIONGEN_GENERATOR
namespace InceptionGen.Generator.Parsing;
#else
namespace InceptionGen;
#endif

/// <summary>The default of every attribute option, read by the attributes and by the generator's parser.</summary>
internal static class LayerDefaults
{
    public const int InputChannels = 3;
    public const int InputHeight = 224;
    public const int InputWidth = 224;

    public const int ConvKernel = 1;
    public const int ConvStride = 1;
    public const int ConvPadding = 0;
    public const bool ConvBias = true;
    public const bool ConvRelu = true;
    public const bool ConvBatchNorm = false;

    /// <summary>PyTorch's BatchNorm2d defaults (torchvision's BasicConv2d sets eps = 0.001).</summary>
    public const double BatchNormEpsilon = 1e-5;
    public const double BatchNormMomentum = 0.1;
    public const bool BatchNormRelu = false;

    public const int PoolPadding = 0;
    public const bool PoolCeilMode = false;

    public const float LrnAlpha = 1e-4f;
    public const float LrnBeta = 0.75f;
    public const float LrnK = 1f;

    public const float AuxiliaryLossWeight = 0.3f;
    public const int AuxiliaryPoolKernel = 5;
    public const int AuxiliaryPoolStride = 3;
    public const bool AuxiliaryPoolCeilMode = true;
    /// <summary>0: the average pool of PoolKernel/PoolStride, not an adaptive one.</summary>
    public const int AuxiliaryPoolOutput = 0;
    public const int AuxiliaryConvChannels = 128;
    /// <summary>0: no second convolution.</summary>
    public const int AuxiliarySecondConvChannels = 0;
    public const int AuxiliarySecondConvKernel = 1;
    public const bool AuxiliaryGlobalPool = false;
    public const int AuxiliaryHiddenUnits = 1024;
    public const float AuxiliaryDropoutRate = 0.7f;
    /// <summary>AuxiliaryNames.Caffe.</summary>
    public const int AuxiliaryNameStyle = 0;

    public const bool LinearBias = true;
    public const bool LinearRelu = false;
}
