using System.Diagnostics;
using System.Globalization;
using InceptionGen.CommandLine;
using InceptionGen.Diagnostics;
using InceptionGen.Distributed;
using InceptionGen.Kernels;
using InceptionGen.Threading;

namespace InceptionGen.Cli;

/// <summary>
/// Times the forward pass like trtexec: warm-up first, then the median of enough runs, against this
/// machine's measured FMA peak. The last line is machine-readable.
/// </summary>
internal static class BenchCommand
{
    public static int Run(Arguments arguments, TextWriter output)
    {
        var entry = arguments.Network("bench");
        var batch = arguments.Int("batch", 1, 1, 4096);
        var threads = arguments.Int("threads", Environment.ProcessorCount, 1, 1024);
        var warmup = arguments.Int("warmup", 3, 0, 1000);
        var minimumRuns = arguments.Int("runs", 20, 1, 100_000);
        var seconds = arguments.Int("seconds", 3, 1, 3600);

        using var pool = new WorkerPool(threads);
        var network = entry.Create(batch, 1, pool);
        var input = new float[batch * network.InputLength];
        var random = new SplitMix64(42);
        foreach (ref var value in input.AsSpan())
        {
            value = 2f * random.NextSingle() - 1f;
        }

        var logits = new float[batch * network.OutputLength];
        var train = arguments.Flag("train");
        // Under mpirun (training only): a data-parallel step over the ranks, the batch split between them.
        var communicator = train ? Communicator.FromEnvironment() : Communicator.Single;
        var parallelSteps = new List<DataParallelStepTime>();
        if (!communicator.IsRoot)
        {
            output = TextWriter.Null;
        }

        Action run;
        long multiplyAdds;
        string what;
        if (train)
        {
            if (network is not ITrainableNetwork trainable)
            {
                throw new UsageException($"{entry.Summary.NetworkName} does not end in class scores, so it has no training pass");
            }

            // One step: forward with the auxiliary heads, backward, SGD with momentum 0.9 (the paper's).
            var labels = Enumerable.Range(0, batch).Select(image => image % network.OutputLength).ToArray();
            var optimizer = new Training.SgdMomentum(0.01f, momentum: 0.9f, weightDecay: 2e-4f);
            run = () => trainable.TrainStep(input, labels, batch, optimizer);
            multiplyAdds = entry.Summary.TrainingMultiplyAdds;
            what = "training step (forward with auxiliary heads, backward, SGD momentum)";
            if (communicator.Size > 1)
            {
                var parallel = new DataParallelTrainer(trainable, communicator, batch, overlapPool: arguments.Flag("overlap") ? pool : null);
                run = () =>
                {
                    parallel.TrainStep(input, labels, optimizer);
                    parallelSteps.Add(parallel.LastStep);
                };
                what += string.Create(CultureInfo.InvariantCulture, $", data-parallel over {communicator.Size} processes{(parallel.Overlaps ? ", Linear gradients summed during the backward pass" : "")}");
            }
        }
        else
        {
            run = () => network.Forward(input, logits, batch);
            multiplyAdds = entry.Summary.MultiplyAdds;
            what = "forward";
        }

        for (var i = 0; i < warmup; i++)
        {
            run();
        }

        var times = new List<double>();
        var total = Stopwatch.StartNew();
        // Ranks must take the same number of steps (each sums gradients with the others): a fixed count then.
        while (times.Count < minimumRuns || (communicator.Size == 1 && total.Elapsed.TotalSeconds < seconds))
        {
            var clock = Stopwatch.StartNew();
            run();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        if (arguments.Flag("layers"))
        {
            WriteLayerProfile(network, pool, run, batch, times.Count, output);
        }

        times.Sort();
        var median = times[times.Count / 2];
        var flops = 2.0 * multiplyAdds * batch;
        var gflops = flops / (median / 1000) / 1e9;
        var peak = FmaPeak.Measure(threads);
        var culture = CultureInfo.InvariantCulture;
        output.WriteLine($"{entry.Summary.NetworkName} {what}, batch {batch}, {threads} thread(s), {Isa.Current}");
        output.WriteLine(string.Create(culture, $"runs {times.Count}, min {times[0]:F3} ms, median {median:F3} ms, max {times[^1]:F3} ms"));
        output.WriteLine(string.Create(culture, $"{flops / 1e9:F3} GFLOP per batch (2 x {multiplyAdds:N0} multiply-adds x {batch}, direct convolution and linear only)"));
        output.WriteLine(string.Create(culture, $"median_ms={median:F3} images_per_s={batch * 1000 / median:F1} gflops={gflops:F1} peak_gflops={peak:F1} peak_fraction={gflops / peak:F3}"));
        if (parallelSteps.Count > 0)
        {
            // Medians over the timed steps (the warm-up steps excluded; the first step of an overlapping run never overlaps).
            double Median(Func<DataParallelStepTime, double> of) => parallelSteps.Skip(warmup).Select(of).Order().ElementAt((parallelSteps.Count - warmup) / 2);
            var step = parallelSteps[^1];
            output.WriteLine(string.Create(culture, $"rank 0: backward_ms={Median(s => s.Backward) * 1000:F1} reduce_ms={Median(s => s.Reduce) * 1000:F1} exposed_reduce_ms={Median(s => s.ExposedReduce) * 1000:F1} reduced_mb={step.ReducedFloats * 4 / 1e6:F1} overlapped_mb={step.OverlappedFloats * 4 / 1e6:F1}"));
            communicator.Dispose();
        }

        return 0;
    }

    /// <summary>
    /// Per-op wall time and GFLOP/s over <paramref name="runs"/> more runs, forward and (when training) input and
    /// weight gradients in columns; what no op accounts for (input layout, losses, the optimizer) is the last line.
    /// </summary>
    private static void WriteLayerProfile(INetwork network, WorkerPool pool, Action run, int batch, int runs, TextWriter output)
    {
        OperationProfile.Start(pool, network);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < runs; i++)
        {
            run();
        }

        var wallMs = clock.Elapsed.TotalMilliseconds / runs;
        var profile = OperationProfile.Read(pool, network, runs);
        var byOperation = profile.GroupBy(time => time.Index).OrderBy(group => group.Key).ToList();
        var culture = CultureInfo.InvariantCulture;
        string Column(IEnumerable<OperationTime> group, OperationPhase phase)
        {
            // Work for the whole network (weight packing) shows in the first column.
            var ms = group.Where(time => time.Phase == phase || (phase == OperationPhase.Forward && time.Phase == OperationPhase.Network)).Sum(time => time.Milliseconds);
            return ms > 0 ? ms.ToString("F3", culture) : "";
        }

        var backward = profile.Any(time => time.Phase is OperationPhase.InputGradient or OperationPhase.WeightGradient);
        output.WriteLine(string.Create(culture, $"{"op",-34} {"forward",8} {(backward ? $"{"input grad",10} {"weight grad",11} " : "")}{"share",6} {"GFLOP/s",8}"));
        var totalMs = profile.Sum(time => time.Milliseconds);
        foreach (var group in byOperation)
        {
            var operation = group.First().Operation;
            var ms = group.Sum(time => time.Milliseconds);
            // Each phase of a convolution or linear layer is one multiply-add per weight per output position.
            var gflops = operation.MultiplyAdds > 0 ? $"{2.0 * operation.MultiplyAdds * group.Count() * batch / (ms / 1000) / 1e9:F1}" : "";
            var name = operation.Name + (operation.Description.StartsWith("zero border", StringComparison.Ordinal) ? " (pad)" : "");
            output.WriteLine(string.Create(culture, $"{name,-34} {Column(group, OperationPhase.Forward),8} {(backward ? $"{Column(group, OperationPhase.InputGradient),10} {Column(group, OperationPhase.WeightGradient),11} " : "")}{ms / wallMs,6:P1} {gflops,8}"));
        }

        output.WriteLine(string.Create(culture, $"{"all ops on the pool",-34} {totalMs,8:F3} ms {totalMs / wallMs,6:P1}"));
        output.WriteLine(string.Create(culture, $"{"outside the pool",-34} {wallMs - totalMs,8:F3} ms {(wallMs - totalMs) / wallMs,6:P1} (input layout, losses, clearing gradients, optimizer)"));
    }
}
