using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using InceptionGen.Benchmarks;
using InceptionGen.Diagnostics;

// The denominator of every "fraction of peak": this machine's FMA peak on all cores, measured now.
var peak = FmaPeak.Measure(Environment.ProcessorCount, seconds: 1.0);
Console.WriteLine($"FMA peak on {Environment.ProcessorCount} thread(s): {peak:F1} GFLOP/s");

var config = DefaultConfig.Instance
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumn(new ThroughputColumn(peak, ThroughputColumn.Kind.GigaFlops), new ThroughputColumn(peak, ThroughputColumn.Kind.PeakFraction), new ThroughputColumn(peak, ThroughputColumn.Kind.ImagesPerSecond))
    .AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(args.Contains("--quick") ? 5 : 15))
    .WithOptions(ConfigOptions.JoinSummary);
BenchmarkSwitcher.FromAssembly(typeof(ForwardBenchmarks).Assembly).Run(args.Where(arg => arg != "--quick").ToArray(), config);
