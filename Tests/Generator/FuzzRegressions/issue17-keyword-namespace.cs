using InceptionGen;
namespace @namespace;
[Network(Channels = 3, Height = 8, Width = 8)]
public sealed partial class @class
{
    [Conv(16)] public partial Conv @int { get; }
    [GlobalAveragePool] public partial Pool Pool { get; }
    [Linear(10)] public partial Linear Classifier { get; }
}
