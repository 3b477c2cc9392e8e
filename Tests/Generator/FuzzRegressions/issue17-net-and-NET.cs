using InceptionGen;
[Network(Channels = 3, Height = 8, Width = 8)]
public sealed partial class Net
{
    [Conv(16)] public partial Conv Conv1 { get; }
    [GlobalAveragePool] public partial Pool Pool { get; }
    [Linear(10)] public partial Linear Classifier { get; }
}
// ==== next file ====
using InceptionGen;
[Network(Channels = 3, Height = 8, Width = 8)]
public sealed partial class NET
{
    [Conv(8)] public partial Conv Conv1 { get; }
    [GlobalAveragePool] public partial Pool Pool { get; }
    [Linear(10)] public partial Linear Classifier { get; }
}
