using InceptionGen;
[Network(Channels = 3, Height = 8, Width = 8)]
public sealed partial class Net
{
    [Conv(48, Kernel = 1, Padding = int.MaxValue)] public partial Conv Conv1 { get; }
    [Conv(48, Kernel = 1, Padding = 1 << 30)] public partial Conv Conv2 { get; }
}
// ==== next file ====
using InceptionGen;
[Network(Channels = 3, Height = 8, Width = 8)]
public sealed partial class Fine
{
    [Conv(16)] public partial Conv Conv1 { get; }
    [GlobalAveragePool] public partial Pool Pool { get; }
    [Linear(10)] public partial Linear Classifier { get; }
}
