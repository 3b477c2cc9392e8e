using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace InceptionGen.Benchmarks;

/// <summary>A benchmark that knows how much work one invocation does.</summary>
public interface IWorkload
{
    /// <summary>Floating-point operations of one invocation (2 per multiply-add).</summary>
    double FlopsPerInvocation { get; }

    /// <summary>Images one invocation processes (0 where it does not apply).</summary>
    int ImagesPerInvocation { get; }
}

/// <summary>GFLOP/s, fraction of the measured FMA peak, or images/s, from the benchmark's mean time.</summary>
public sealed class ThroughputColumn(double peakGigaFlops, ThroughputColumn.Kind kind) : IColumn
{
    public enum Kind { GigaFlops, PeakFraction, ImagesPerSecond }

    public string Id => "Throughput" + kind;
    public string ColumnName => kind switch { Kind.GigaFlops => "GFLOP/s", Kind.PeakFraction => "Peak", _ => "Images/s" };
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => (int)kind;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => kind switch
    {
        Kind.GigaFlops => "Direct FLOPs (2 per multiply-add) per second, in billions",
        Kind.PeakFraction => $"GFLOP/s over this machine's measured FMA peak ({peakGigaFlops:F1} GFLOP/s on all cores)",
        _ => "Images per second",
    };

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var mean = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (mean is null || Activator.CreateInstance(benchmarkCase.Descriptor.Type) is not IWorkload workload)
        {
            return "-";
        }

        // Parameters decide the workload: apply them to a fresh instance (no setup runs).
        foreach (var parameter in benchmarkCase.Parameters.Items)
        {
            benchmarkCase.Descriptor.Type.GetProperty(parameter.Name)?.SetValue(workload, parameter.Value);
        }

        var seconds = mean.Value / 1e9;
        var gigaFlops = workload.FlopsPerInvocation / seconds / 1e9;
        return kind switch
        {
            Kind.GigaFlops => gigaFlops.ToString("F1", CultureInfo.InvariantCulture),
            Kind.PeakFraction => (gigaFlops / peakGigaFlops).ToString("P1", CultureInfo.InvariantCulture),
            _ => workload.ImagesPerInvocation > 0 ? (workload.ImagesPerInvocation / seconds).ToString("F1", CultureInfo.InvariantCulture) : "-",
        };
    }

    public override string ToString() => ColumnName;
}
