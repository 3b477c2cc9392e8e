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

    internal bool CheckRate(LocationInfo? location, string name, string option, float rate)
        => Check(rate >= 0f && rate < 1f, location, option, name, Float(rate), "a dropout rate must be at least 0 and below 1");

    internal bool CheckNotEmpty(LayerModel layer, string what, TensorPlan input, int height, int width)
    {
        if (height > 0 && width > 0)
        {
            return true;
        }

        Report(DiagnosticDescriptors.EmptyOutput, layer.Location, layer.Name, what, input.ShapeText, $"{Math.Max(height, 0)}x{Math.Max(width, 0)}; add padding, or take it off a larger map");
        return false;
    }

    internal bool Positive(LocationInfo? location, string name, params (string Option, int Value)[] values)
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

    /// <summary>A height × width option: named as declared, <c>Kernel</c> when square, else <c>KernelHeight</c> or <c>KernelWidth</c>.</summary>
    internal bool PositivePair(LocationInfo? location, string name, string option, SizePair value)
        => value.IsSquare ? Positive(location, name, (option, value.Height))
            : Positive(location, name, (option + "Height", value.Height), (option + "Width", value.Width));

    internal bool NotNegativePair(LocationInfo? location, string name, string option, SizePair value)
        => value.IsSquare ? NotNegative(location, name, option, value.Height)
            : NotNegative(location, name, option + "Height", value.Height) & NotNegative(location, name, option + "Width", value.Width);

    internal bool NotNegative(LocationInfo? location, string name, string option, int value)
    {
        if (value >= 0)
        {
            return true;
        }

        Report(DiagnosticDescriptors.NonPositiveValue, location, option, name, "0 or more", value);
        return false;
    }

    internal bool Check(bool condition, LocationInfo? location, string option, string name, object value, string rule)
    {
        if (!condition)
        {
            Report(DiagnosticDescriptors.InvalidOptionValue, location, option, name, value, rule);
        }

        return condition;
    }

    internal void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, LocationInfo? location, params object?[] arguments)
        => _diagnostics.Add(DiagnosticInfo.Create(descriptor, location, arguments));

    /// <summary>IG0018, once per network: one oversized value makes every size after it too large as well.</summary>
    internal void ReportTooLarge(LocationInfo? location, string what, BigInteger floats, int limit)
    {
        if (_diagnostics.All(diagnostic => diagnostic.Id != DiagnosticDescriptors.TooLarge.Id))
        {
            Report(DiagnosticDescriptors.TooLarge, location, what, _model.ClassName, floats.ToString(CultureInfo.InvariantCulture), limit.ToString(CultureInfo.InvariantCulture));
        }
    }
}
