using System.Globalization;
using InceptionGen.Interop;
using ScottPlot;

namespace InceptionGen.Cli;

/// <summary>
/// The PNG of a run's curves: losses, accuracies (train and validation, one point per epoch) and the learning rate
/// (sampled along the steps), side by side, with a tick at whole epochs only.
/// </summary>
internal static class TrainingPlot
{
    public const string FileName = "curves.png";

    /// <summary>
    /// Writes the plot of <paramref name="history"/> and <paramref name="learningRates"/> (epoch, rate) to
    /// <paramref name="path"/> atomically (temporary file, then rename).
    /// </summary>
    public static void Save(IReadOnlyList<EpochMetrics> history, IReadOnlyList<(double Epoch, double Rate)> learningRates, string path, string title)
    {
        var epochs = history.Select(m => (double)m.Epoch).ToArray();
        var (ticks, labels) = EpochTicks(history.Count == 0 ? 1 : history[^1].Epoch);
        var multiplot = new Multiplot();
        multiplot.AddPlots(3);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();

        var losses = multiplot.GetPlot(0);
        AddCurve(losses, epochs, history.Select(m => m.TrainLoss), "train loss (total)");
        AddCurve(losses, epochs, history.Select(m => m.TrainMainLoss), "train loss (main)");
        if (history.Any(m => m.TrainAuxLoss != 0))
        {
            AddCurve(losses, epochs, history.Select(m => m.TrainAuxLoss), "train loss (auxiliary, weighted)");
        }

        losses.Title($"{title}: loss");
        losses.YLabel("cross-entropy");
        losses.ShowLegend(Alignment.UpperRight);

        var accuracy = multiplot.GetPlot(1);
        AddCurve(accuracy, epochs, history.Select(m => 100 * m.TrainAccuracy), "train (dropout on)");
        if (history.Any(m => m.ValidationAccuracy is not null))
        {
            var validated = history.Where(m => m.ValidationAccuracy is not null).ToArray();
            AddCurve(accuracy, validated.Select(m => (double)m.Epoch).ToArray(), validated.Select(m => 100 * m.ValidationAccuracy!.Value), "validation");
        }

        accuracy.Title($"{title}: accuracy");
        accuracy.YLabel("accuracy (%)");
        accuracy.ShowLegend(Alignment.LowerRight);

        var rates = multiplot.GetPlot(2);
        var rate = rates.Add.Scatter(learningRates.Select(r => r.Epoch).ToArray(), learningRates.Select(r => r.Rate).ToArray());
        rate.LegendText = "learning rate";
        rate.MarkerSize = 0;
        rates.Title($"{title}: learning rate");
        rates.YLabel("learning rate");

        foreach (var plot in new[] { losses, accuracy, rates })
        {
            plot.XLabel("epoch");
            plot.Axes.Bottom.SetTicks(ticks, labels);
            plot.Axes.SetLimitsX(0, ticks[^1] + 0.25);
        }

        // ScottPlot writes by name (and wants the .png), so the atomic write is done here: a leftover matches AtomicFile's pattern.
        var temporary = path + AtomicFile.TemporaryMarker + Guid.NewGuid().ToString("N") + ".png";
        try
        {
            multiplot.SavePng(temporary, 1500, 480);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>The epoch axis's ticks: whole epochs from 0 to at least <paramref name="lastEpoch"/>, at most 11 of them (every 1, 2, 5, 10, 20, ... epochs).</summary>
    public static (double[] Positions, string[] Labels) EpochTicks(int lastEpoch)
    {
        var every = 1;
        for (var k = 0; lastEpoch > 10 * every; k++)
        {
            every = (k % 3) switch { 0 => every * 2, 1 => every * 5 / 2, _ => every * 2 };
        }

        var count = (lastEpoch + every - 1) / every + 1;
        var positions = Enumerable.Range(0, Math.Max(count, 2)).Select(i => (double)(i * every)).ToArray();
        return (positions, positions.Select(p => ((int)p).ToString(CultureInfo.InvariantCulture)).ToArray());
    }

    private static void AddCurve(Plot plot, double[] epochs, IEnumerable<double> values, string label)
    {
        var scatter = plot.Add.Scatter(epochs, values.ToArray());
        scatter.LegendText = label;
        scatter.MarkerSize = epochs.Length > 40 ? 0 : 6;
    }
}
