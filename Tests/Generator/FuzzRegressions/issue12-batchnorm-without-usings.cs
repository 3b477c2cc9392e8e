using InceptionGen;
namespace Zoo1
{
[Network(Channels = 16, Height = 11, Width = 11)]
public sealed partial class Net2723
{
    [Dropout(0.4f)] public partial Dropout Layer0 { get; }
    [Conv(14, Padding = 1, Bias = true, BatchNorm = true)] public partial Conv Layer1 { get; }
    [GlobalAveragePool] public partial Pool Gap { get; }
    [Dropout(0.4f)] public partial Dropout Drop { get; }
    [Linear(14)] public partial Linear Classifier { get; }
}
}
