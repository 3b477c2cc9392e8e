using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using InceptionGen.Benchmarks;
using InceptionGen.Benchmarks.Compare;
using InceptionGen.CommandLine;
using InceptionGen.Diagnostics;

switch (args.FirstOrDefault())
{
    case "compare":
        try
        {
            return CompareCommand.Run(args[1..], Console.Out);
        }
        catch (UsageException exception)
        {
            Console.Error.WriteLine($"error: {exception.Message}");
            return 2;
        }

    case "compare-worker":
        // One implementation behind the line protocol; the orchestrator starts it (see WorkerServer).
        IComparedWorker worker = args.ElementAtOrDefault(1) switch
        {
            "ours" => new OursWorker(),
            "ort" => new OrtWorker(),
            var other => throw new ArgumentException($"unknown worker '{other}'"),
        };
        return WorkerServer.Run(worker, Console.In, Console.Out);
}

// The denominator of every "fraction of peak": this machine's FMA peak on all cores, measured now.
var peak = FmaPeak.Measure(Environment.ProcessorCount, seconds: 1.0);
Console.WriteLine($"FMA peak on {Environment.ProcessorCount} thread(s): {peak:F1} GFLOP/s");

var config = DefaultConfig.Instance
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumn(new ThroughputColumn(peak, ThroughputColumn.Kind.GigaFlops), new ThroughputColumn(peak, ThroughputColumn.Kind.PeakFraction), new ThroughputColumn(peak, ThroughputColumn.Kind.ImagesPerSecond))
    .WithOptions(ConfigOptions.JoinSummary);
// A job given on the command line (--inProcess, --job dry, ...) is the only one: BenchmarkDotNet adds it beside the
// config's jobs, so with ours too every benchmark would also run out of process under the default job.
if (!args.Any(arg => arg is "--inProcess" or "-i" or "--job" or "-j"))
{
    config = config.AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(args.Contains("--quick") ? 5 : 15));
}

BenchmarkSwitcher.FromAssembly(typeof(ForwardBenchmarks).Assembly).Run(args.Where(arg => arg != "--quick").ToArray(), config);
return 0;
