namespace InceptionGen.Definitions;

/// <summary>
/// The naive Inception module of the cs231n lecture on a 28x28x256 input: 1x1 128, 3x3 192 and 5x5 96
/// convolutions straight on the input, and a 3x3 max-pool passing its 256 channels through. Output
/// 672 channels, 854M multiply-adds: the cost the bottleneck design removes.
/// </summary>
[Network(Channels = 256, Height = 28, Width = 28)]
public sealed partial class NaiveInceptionModule
{
    [Inception(128, 0, 192, 0, 96, 0)] public partial Inception Module { get; }
}

/// <summary>
/// The same module with 1x1 bottlenecks: 64 channels before the 3x3 and the 5x5, and a 1x1 64 projection
/// after the pool. Output 480 channels, 271M multiply-adds (the lecture slide says 358M, but its own
/// terms add up to 271M).
/// </summary>
[Network(Channels = 256, Height = 28, Width = 28)]
public sealed partial class BottleneckInceptionModule
{
    [Inception(128, 64, 192, 64, 96, 64)] public partial Inception Module { get; }
}
