using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Numerics;
using InceptionGen.Generator.Diagnostics;
using InceptionGen.Generator.Model;

namespace InceptionGen.Generator.Planning;

/// <summary>The validate pass: every option value and the input shape, as diagnostics at the offending attribute.</summary>
internal sealed partial class Planner
{
    private bool CheckInputShape()
    {
        var ok = Positive(_model.Location, _model.ClassName, ("Channels", _model.Channels), ("Height", _model.Height), ("Width", _model.Width));
        if (ok && (long)_model.Channels * _model.Height * _model.Width > int.MaxValue / Block)
        {
            ReportTooLarge(_model.Location, "The input", (BigInteger)_model.Channels * _model.Height * _model.Width, int.MaxValue / Block);
            ok = false;
        }

        return ok;
    }

    /// <summary>Checks the values of one layer's options; false when any is wrong.</summary>
    private bool CheckOptions(LayerModel layer)
    {
        var location = layer.Location;
        var name = layer.Name;
        switch (layer.Kind)
        {
            case LayerKind.Conv:
                return Positive(location, name, ("OutChannels", layer.OutChannels), ("Kernel", layer.Kernel), ("Stride", layer.Stride))
                     & NotNegative(location, name, "Padding", layer.Padding);
            case LayerKind.MaxPool or LayerKind.AvgPool:
                var ok = Positive(location, name, ("Kernel", layer.Kernel), ("Stride", layer.Stride)) & NotNegative(location, name, "Padding", layer.Padding);
                if (ok && (long)layer.Padding * 2 > layer.Kernel)
                {
                    Report(DiagnosticDescriptors.InvalidOptionValue, location, "Padding", name, layer.Padding, $"it must be at most half the kernel ({layer.Kernel / 2}), or some windows would hold only padding");
                    ok = false;
                }

                return ok;
            case LayerKind.LocalResponseNorm:
                if (!Positive(location, name, ("Size", layer.Kernel)))
                {
                    return false;
                }

                return Check(layer.Kernel % 2 == 1, location, "Size", name, layer.Kernel, "it must be odd, so that the window is centred on the channel")
                     & Check(layer.Alpha >= 0f && !float.IsInfinity(layer.Alpha), location, "Alpha", name, Float(layer.Alpha), "it must be a finite number ≥ 0")
                     & Check(layer.Beta >= 0f && !float.IsInfinity(layer.Beta), location, "Beta", name, Float(layer.Beta), "it must be a finite number ≥ 0")
                     & Check(layer.K > 0f && !float.IsInfinity(layer.K), location, "K", name, Float(layer.K), "it must be a finite number > 0, or the denominator can be 0");
            case LayerKind.Inception:
                return CheckInceptionWidths(layer);
            case LayerKind.AuxiliaryClassifier:
                return Positive(location, name, ("Classes", layer.OutChannels), ("PoolKernel", layer.Kernel), ("PoolStride", layer.Stride), ("ConvChannels", layer.ConvChannels), ("HiddenUnits", layer.HiddenUnits))
                     & Check(layer.LossWeight >= 0f && !float.IsInfinity(layer.LossWeight), location, "LossWeight", name, Float(layer.LossWeight), "it must be a finite number ≥ 0 (the paper uses 0.3)")
                     & CheckRate(location, name, "DropoutRate", layer.Rate);
            case LayerKind.Dropout:
                return CheckRate(location, name, "Rate", layer.Rate);
            case LayerKind.Linear:
                return Positive(location, name, ("OutFeatures", layer.OutChannels));
            default:
                return true;
        }
    }

    private bool CheckInceptionWidths(LayerModel layer)
    {
        var names = new[] { "#1x1", "#3x3 reduce", "#3x3", "#5x5 reduce", "#5x5", "pool proj" };
        var widths = layer.InceptionWidths;
        var ok = true;
        for (var i = 0; i < names.Length; i++)
        {
            ok &= NotNegative(layer.Location, layer.Name, names[i], widths[i]);
        }

        if (!ok)
        {
            return false;
        }

        if (widths[1] > 0 && widths[2] == 0)
        {
            Report(DiagnosticDescriptors.InvalidInceptionWidths, layer.Location, layer.Name, $"#3x3 reduce is {widths[1]} but #3x3 is 0; set #3x3 above 0, or #3x3 reduce to 0 to drop the branch");
            ok = false;
        }

        if (widths[3] > 0 && widths[4] == 0)
        {
            Report(DiagnosticDescriptors.InvalidInceptionWidths, layer.Location, layer.Name, $"#5x5 reduce is {widths[3]} but #5x5 is 0; set #5x5 above 0, or #5x5 reduce to 0 to drop the branch");
            ok = false;
        }

        return ok;
    }

    private bool CheckRate(LocationInfo? location, string name, string option, float rate)
        => Check(rate >= 0f && rate < 1f, location, option, name, Float(rate), "a dropout rate must be at least 0 and below 1");

    private bool CheckNotEmpty(LayerModel layer, string what, TensorPlan input, int height, int width)
    {
        if (height > 0 && width > 0)
        {
            return true;
        }

        Report(DiagnosticDescriptors.EmptyOutput, layer.Location, layer.Name, what, input.ShapeText, $"{Math.Max(height, 0)}x{Math.Max(width, 0)}; add padding, or take it off a larger map");
        return false;
    }

    private bool Positive(LocationInfo? location, string name, params (string Option, int Value)[] values)
    {
        var ok = true;
        foreach (var (option, value) in values)
        {
            if (value <= 0)
            {
                Report(DiagnosticDescriptors.NonPositiveValue, location, option, name, "positive", value);
                ok = false;
            }
        }

        return ok;
    }

    private bool NotNegative(LocationInfo? location, string name, string option, int value)
    {
        if (value >= 0)
        {
            return true;
        }

        Report(DiagnosticDescriptors.NonPositiveValue, location, option, name, "0 or more", value);
        return false;
    }

    private bool Check(bool condition, LocationInfo? location, string option, string name, object value, string rule)
    {
        if (!condition)
        {
            Report(DiagnosticDescriptors.InvalidOptionValue, location, option, name, value, rule);
        }

        return condition;
    }

    private void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, LocationInfo? location, params object?[] arguments)
        => _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

    /// <summary>IG0018, once per network: one oversized value makes every size after it too large as well.</summary>
    private void ReportTooLarge(LocationInfo? location, string what, BigInteger floats, int limit)
    {
        if (_diagnostics.All(diagnostic => diagnostic.Id != DiagnosticDescriptors.TooLarge.Id))
        {
            Report(DiagnosticDescriptors.TooLarge, location, what, _model.ClassName, floats.ToString(CultureInfo.InvariantCulture), limit.ToString(CultureInfo.InvariantCulture));
        }
    }
}
