using InceptionGen.Interop;
using ScottPlot;

namespace InceptionGen.Cli;

/// <summary>The PNG of a run's curves: losses on the left, accuracies on the right, one point per epoch.</summary>
internal static class TrainingPlot
{
    public const string FileName = "curves.png";

    /// <summary>Writes the plot of <paramref name="history"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static void Save(IReadOnlyList<EpochMetrics> history, string path, string title)
    {
        var epochs = history.Select(m => (double)m.Epoch).ToArray();
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();

        var losses = multiplot.GetPlot(0);
        AddCurve(losses, epochs, history.Select(m => m.TrainLoss), "train loss (total)");
        AddCurve(losses, epochs, history.Select(m => m.TrainMainLoss), "train loss (main)");
        AddCurve(losses, epochs, history.Select(m => m.TrainAuxLoss), "train loss (auxiliary, weighted)");
        losses.Title($"{title}: loss");
        losses.XLabel("epoch");
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
        accuracy.XLabel("epoch");
        accuracy.YLabel("accuracy (%)");
        accuracy.ShowLegend(Alignment.LowerRight);

        // ScottPlot writes by name (and wants the .png), so the atomic write is done here: a leftover matches AtomicFile's pattern.
        var temporary = path + AtomicFile.TemporaryMarker + Guid.NewGuid().ToString("N") + ".png";
        try
        {
            multiplot.SavePng(temporary, 1200, 480);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static void AddCurve(Plot plot, double[] epochs, IEnumerable<double> values, string label)
    {
        var scatter = plot.Add.Scatter(epochs, values.ToArray());
        scatter.LegendText = label;
        scatter.MarkerSize = epochs.Length > 40 ? 0 : 6;
    }
}
