using InceptionGen;
[Network(Channels = 10, Height = 1, Width = 1)]
public sealed partial class Net
{
    [Dropout(0.5f)] public partial Dropout Drop1 { get; }
    [Dropout(0.2f)] public partial Dropout Drop2 { get; }
}
