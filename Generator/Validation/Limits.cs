using System;
using System.Collections.Generic;
using System.Globalization;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;
using InceptionGen.Generator.Planning;

namespace InceptionGen.Generator.Validation;

/// <summary>
/// Bounds every number of a network before the planner sees it, so that no size, count or sum can overflow
/// its arithmetic or make a search run for long: each option against a fixed limit (IG0020), then a walk of the
/// shapes in double precision for the multiply-adds (IG0020 too). Values below
/// their minimum (0, negatives) are left to the planner, which reports them with IG0004, and so are the sizes of
/// tensors, parameters and memory, which it checks in wide arithmetic (IG0018). A network that fails here is not
/// planned at all.
/// </summary>
internal static class Limits
{
    /// <summary>Input height and width.</summary>
    public const int MaxImageSize = 16_384;

    /// <summary>A kernel, stride or padding: larger ones only make maps of padding.</summary>
    public const int MaxWindow = 1_024;

    /// <summary>Input channels, output channels, features, classes and Inception widths.</summary>
    public const int MaxChannels = 65_536;

    /// <summary>Declared layers: each is emitted as several methods.</summary>
    public const int MaxLayers = 1_000;

    /// <summary>Forward multiply-adds for one image, auxiliary heads included (GoogLeNet needs 1.6e9): far below where a <c>long</c> sum can overflow.</summary>
    public const double MaxMultiplyAdds = 1e15;

    public static IReadOnlyList<DiagnosticInfo> Check(NetworkModel model)
    {
        var found = new List<DiagnosticInfo>();
        void Over(LocationInfo? location, string what, string owner, double value, double limit)
            => found.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OverLimit, location, what, owner, Text(value), Text(limit)));

        void Bound(LocationInfo? location, string owner, string option, int value, int limit)
        {
            if (value > limit)
            {
                Over(location, option, owner, value, limit);
            }
        }

        // A height × width option: named as declared, one name when square, else one per dimension.
        void BoundPair(LocationInfo? location, string owner, string option, SizePair value, int limit)
        {
            if (value.IsSquare)
            {
                Bound(location, owner, option, value.Height, limit);
                return;
            }

            Bound(location, owner, option + "Height", value.Height, limit);
            Bound(location, owner, option + "Width", value.Width, limit);
        }

        Bound(model.Location, model.ClassName, "Channels", model.Channels, MaxChannels);
        Bound(model.Location, model.ClassName, "Height", model.Height, MaxImageSize);
        Bound(model.Location, model.ClassName, "Width", model.Width, MaxImageSize);
        if (model.Layers.Count > MaxLayers)
        {
            Over(model.Layers[MaxLayers].Location, "The number of layers", model.ClassName, model.Layers.Count, MaxLayers);
        }

        foreach (var layer in model.Layers)
        {
            var (location, name) = (layer.Location, layer.Name);
            switch (layer.Kind)
            {
                case LayerKind.Conv:
                    Bound(location, name, "OutChannels", layer.OutChannels, MaxChannels);
                    BoundPair(location, name, "Kernel", layer.Kernel, MaxWindow);
                    BoundPair(location, name, "Stride", layer.Stride, MaxWindow);
                    BoundPair(location, name, "Padding", layer.Padding, MaxWindow);
                    break;
                case LayerKind.MaxPool or LayerKind.AvgPool:
                    BoundPair(location, name, "Kernel", layer.Kernel, MaxWindow);
                    BoundPair(location, name, "Stride", layer.Stride, MaxWindow);
                    BoundPair(location, name, "Padding", layer.Padding, MaxWindow);
                    break;
                case LayerKind.LocalResponseNorm:
                    Bound(location, name, "Size", layer.Kernel.Height, MaxWindow);
                    break;
                case LayerKind.AdaptiveAveragePool:
                    BoundPair(location, name, "Output", layer.OutputSize, MaxImageSize);
                    break;
                case LayerKind.Inception:
                    var names = new[] { "#1x1", "#3x3 reduce", "#3x3", "#5x5 reduce", "#5x5", "pool proj" };
                    for (var i = 0; i < names.Length && i < layer.InceptionWidths.Count; i++)
                    {
                        Bound(location, name, names[i], layer.InceptionWidths[i], MaxChannels);
                    }

                    break;
                case LayerKind.AuxiliaryClassifier:
                    Bound(location, name, "Classes", layer.OutChannels, MaxChannels);
                    Bound(location, name, "PoolKernel", layer.Kernel.Height, MaxWindow);
                    Bound(location, name, "PoolStride", layer.Stride.Height, MaxWindow);
                    Bound(location, name, "ConvChannels", layer.ConvChannels, MaxChannels);
                    Bound(location, name, "HiddenUnits", layer.HiddenUnits, MaxChannels);
                    Bound(location, name, "PoolOutput", layer.OutputSize.Height, MaxImageSize);
                    if (layer.Head is { } head)
                    {
                        Bound(location, name, "SecondConvChannels", head.SecondConvChannels, MaxChannels);
                        Bound(location, name, "SecondConvKernel", head.SecondConvKernel, MaxWindow);
                    }

                    break;
                case LayerKind.Linear:
                    Bound(location, name, "OutFeatures", layer.OutChannels, MaxChannels);
                    break;
            }
        }

        if (found.Count == 0)
        {
            CheckTotals(model, Over);
        }

        return found;
    }

    /// <summary>
    /// Walks the shapes as the planner will (same output-size rules) and sums multiply-adds in double precision. It stops at the first shape the planner will reject for a reason of its own.
    /// </summary>
    private static bool Valid(LayerModel layer)
        => layer.Kernel.Height > 0 && layer.Kernel.Width > 0 && layer.Stride.Height > 0 && layer.Stride.Width > 0 && layer.Padding.Height >= 0 && layer.Padding.Width >= 0;

    private static void CheckTotals(NetworkModel model, Action<LocationInfo?, string, string, double, double> over)
    {
        double channels = model.Channels, height = model.Height, width = model.Width;
        double multiplyAdds = 0;
        if (channels <= 0 || height <= 0 || width <= 0)
        {
            return;
        }

        foreach (var layer in model.Layers)
        {
            var pixels = height * width;
            double outChannels = channels, outHeight = height, outWidth = width;
            switch (layer.Kind)
            {
                case LayerKind.Conv when layer.OutChannels > 0 && Valid(layer):
                    outHeight = Planner.ConvOutput((int)height, layer.Kernel.Height, layer.Stride.Height, layer.Padding.Height);
                    outWidth = Planner.ConvOutput((int)width, layer.Kernel.Width, layer.Stride.Width, layer.Padding.Width);
                    outChannels = layer.OutChannels;
                    multiplyAdds += outChannels * outHeight * outWidth * channels * layer.Kernel.Height * layer.Kernel.Width;
                    break;
                case LayerKind.MaxPool or LayerKind.AvgPool when Valid(layer):
                    outHeight = Planner.PoolOutput((int)height, layer.Kernel.Height, layer.Stride.Height, layer.Padding.Height, layer.CeilMode);
                    outWidth = Planner.PoolOutput((int)width, layer.Kernel.Width, layer.Stride.Width, layer.Padding.Width, layer.CeilMode);
                    break;
                case LayerKind.GlobalAveragePool:
                    outHeight = outWidth = 1;
                    break;
                case LayerKind.AdaptiveAveragePool when layer.OutputSize.Height > 0 && layer.OutputSize.Width > 0:
                    (outHeight, outWidth) = (layer.OutputSize.Height, layer.OutputSize.Width);
                    break;
                case LayerKind.Flatten:
                    outChannels = channels * pixels;
                    outHeight = outWidth = 1;
                    break;
                case LayerKind.Linear when layer.OutChannels > 0:
                    outChannels = layer.OutChannels;
                    multiplyAdds += channels * pixels * outChannels;
                    outHeight = outWidth = 1;
                    break;
                case LayerKind.Inception when layer.InceptionWidths.Count == 6:
                    var w = layer.InceptionWidths;
                    double reduce3 = w[1] > 0 ? w[1] : channels, reduce5 = w[3] > 0 ? w[3] : channels;
                    var perPixel = channels * (w[0] + w[1] + w[3] + w[5]) + reduce3 * w[2] * 9 + reduce5 * w[4] * 25;
                    multiplyAdds += perPixel * pixels;
                    outChannels = (double)w[0] + w[2] + w[4] + (w[5] > 0 ? w[5] : channels);
                    break;
                case LayerKind.AuxiliaryClassifier when layer.OutputSize.Height > 0 || (layer.Kernel.Height > 0 && layer.Stride.Height > 0):
                    // The head's pool, convolutions, hidden and classifier layers; the trunk goes on unchanged. A bound:
                    // the second convolution is counted at every pooled pixel, as if it kept the map's size.
                    var pooled = layer.OutputSize.Height > 0 ? (double)layer.OutputSize.Height * layer.OutputSize.Height
                        : (double)Planner.PoolOutput((int)height, layer.Kernel.Height, layer.Stride.Height, 0, layer.CeilMode)
                          * Planner.PoolOutput((int)width, layer.Kernel.Width, layer.Stride.Width, 0, layer.CeilMode);
                    double second = layer.Head?.SecondConvChannels ?? 0, secondKernel = layer.Head?.SecondConvKernel ?? 1;
                    var features = second > 0 ? second * pooled : layer.ConvChannels * pooled;
                    var vector = layer.HiddenUnits > 0 ? layer.HiddenUnits : features;
                    var head = pooled * channels * layer.ConvChannels + pooled * layer.ConvChannels * second * secondKernel * secondKernel
                        + features * layer.HiddenUnits + vector * layer.OutChannels;
                    multiplyAdds += head;
                    break;
                case LayerKind.Dropout or LayerKind.LocalResponseNorm or LayerKind.AuxiliaryClassifier:
                    break;
                default:
                    return;
            }

            if (multiplyAdds > MaxMultiplyAdds)
            {
                over(layer.Location, "The multiply-adds up to '" + layer.Name + "'", model.ClassName, multiplyAdds, MaxMultiplyAdds);
                return;
            }

            if (outChannels <= 0 || outHeight <= 0 || outWidth <= 0 || Math.Ceiling(outChannels / 16) * 16 * outHeight * outWidth > int.MaxValue / 16)
            {
                // An empty or oversized map: the planner reports it (IG0005, IG0018) at this layer.
                return;
            }

            (channels, height, width) = (outChannels, outHeight, outWidth);
        }
    }

    private static string Text(double value) => value.ToString(value >= 1e15 ? "E3" : "N0", CultureInfo.InvariantCulture);
}
