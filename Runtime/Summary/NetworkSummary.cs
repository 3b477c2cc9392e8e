using System.Globalization;
using System.Text;

namespace InceptionGen;

/// <summary>One row of a network summary: a declared layer (depth 0) or a part of one (depth 1).</summary>
/// <param name="Name">Declared name; parts are dotted, e.g. <c>Inception3a.Branch2</c>.</param>
/// <param name="Kind">What the layer computes, e.g. <c>conv 3x3/1</c>.</param>
/// <param name="MultiplyAdds">Multiply-adds of its convolutions and linear layers for one image.</param>
/// <param name="Auxiliary">Whether it belongs to an auxiliary classifier (training only).</param>
public sealed record LayerSummary(string Name, string Kind, FeatureShape OutputShape, long Parameters, long MultiplyAdds, int Depth, bool Auxiliary);

/// <summary>A network's layers with shapes, parameters and multiply-adds, like Keras' <c>model.summary()</c>.</summary>
public sealed class NetworkSummary(
    string networkName,
    FeatureShape inputShape,
    IReadOnlyList<LayerSummary> layers,
    long parameterCount,
    long auxiliaryParameterCount,
    long convolutionMultiplyAdds,
    long linearMultiplyAdds,
    long auxiliaryMultiplyAdds)
{
    public string NetworkName { get; } = networkName;
    public FeatureShape InputShape { get; } = inputShape;
    public IReadOnlyList<LayerSummary> Layers { get; } = layers;

    /// <summary>Parameters used in inference (auxiliary heads excluded).</summary>
    public long ParameterCount { get; } = parameterCount;

    /// <summary>Parameters of the auxiliary heads alone.</summary>
    public long AuxiliaryParameterCount { get; } = auxiliaryParameterCount;

    public long ParameterCountWithAuxiliary => ParameterCount + AuxiliaryParameterCount;

    /// <summary>Forward multiply-adds of convolutions for one image, auxiliary heads excluded.</summary>
    public long ConvolutionMultiplyAdds { get; } = convolutionMultiplyAdds;

    /// <summary>Forward multiply-adds of linear layers for one image, auxiliary heads excluded.</summary>
    public long LinearMultiplyAdds { get; } = linearMultiplyAdds;

    /// <summary>Forward multiply-adds (conv + linear) for one image in inference.</summary>
    public long MultiplyAdds => ConvolutionMultiplyAdds + LinearMultiplyAdds;

    /// <summary>Forward multiply-adds of the auxiliary heads alone (training only).</summary>
    public long AuxiliaryMultiplyAdds { get; } = auxiliaryMultiplyAdds;

    /// <summary>
    /// Direct multiply-adds of one training step per image: the forward pass with the auxiliary heads, then the
    /// input and weight gradients, each as many as the forward, less the first layer's input gradient (its
    /// input is the image). GoogLeNet: 4,655,118,336.
    /// </summary>
    public long TrainingMultiplyAdds => 3 * (MultiplyAdds + AuxiliaryMultiplyAdds) - (Layers.FirstOrDefault(layer => layer.Depth == 0)?.MultiplyAdds ?? 0);

    /// <summary>The summary as a plain-text table with totals.</summary>
    public string Format(bool includeParts = true)
    {
        var rows = Layers.Where(layer => includeParts || layer.Depth == 0).ToList();
        var nameWidth = Math.Max("Layer".Length, rows.Select(row => row.Name.Length + 2 * row.Depth + (row.Auxiliary ? 2 : 0)).DefaultIfEmpty(0).Max());
        var kindWidth = Math.Max("Kind".Length, rows.Select(row => row.Kind.Length).DefaultIfEmpty(0).Max());
        const int shapeWidth = 14, numberWidth = 15;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{NetworkName}: input {InputShape}");
        var header = $"{"Layer".PadRight(nameWidth)}  {"Kind".PadRight(kindWidth)}  {"Output",-shapeWidth}  {"Parameters",numberWidth}  {"Multiply-adds",numberWidth}";
        text.AppendLine(header);
        text.AppendLine(new string('-', header.Length));
        foreach (var row in rows)
        {
            var name = new string(' ', 2 * row.Depth) + (row.Auxiliary ? "* " : "") + row.Name;
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{name.PadRight(nameWidth)}  {row.Kind.PadRight(kindWidth)}  {row.OutputShape,-shapeWidth}  {Group(row.Parameters),numberWidth}  {Group(row.MultiplyAdds),numberWidth}");
        }

        text.AppendLine(new string('-', header.Length));
        text.AppendLine($"Parameters (inference):             {Group(ParameterCount)}");
        text.AppendLine($"Parameters (with auxiliary heads):  {Group(ParameterCountWithAuxiliary)}");
        text.AppendLine($"Multiply-adds per image (forward):  {Group(MultiplyAdds)} (conv {Group(ConvolutionMultiplyAdds)} + linear {Group(LinearMultiplyAdds)})");
        if (AuxiliaryParameterCount > 0)
        {
            text.AppendLine($"Auxiliary heads (training only, *): {Group(AuxiliaryParameterCount)} parameters, {Group(AuxiliaryMultiplyAdds)} multiply-adds");
        }

        return text.ToString();
    }

    public override string ToString() => Format();

    private static string Group(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
