using System.Globalization;
using InceptionGen.CommandLine;
using InceptionGen.Data;
using InceptionGen.Distributed;
using InceptionGen.Threading;
using InceptionGen.Training;

namespace InceptionGen.Cli;

/// <summary>
/// The data-parallel part of <c>train fashion-mnist</c>: under <c>mpirun -np N</c> (or with <c>--shards</c> in one
/// process) each step goes through a <see cref="DataParallelTrainer"/>; only rank 0 prints and writes files.
/// </summary>
internal static class DistributedRun
{
    /// <summary>
    /// The shard count of this run: <c>--shards</c>, else on <c>--resume</c> the one in the run's recorded options
    /// (the checkpoint's, else run.txt's; so any process count that divides it resumes), else one per process.
    /// </summary>
    public static int Shards(TrainOptions options, Communicator communicator, string? recordedOptions)
    {
        if (options.Shards is { } shards)
        {
            return shards;
        }

        if (options.Resume && recordedOptions is not null)
        {
            var line = recordedOptions.Split('\n').FirstOrDefault(l => l.StartsWith("shards=", StringComparison.Ordinal));
            return line is null || !int.TryParse(line["shards=".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var recorded) || recorded < 1 ? 1 : recorded;
        }

        return communicator.Size;
    }

    /// <summary>The run.txt line for the shard count; none for one shard, so single-process runs keep their run.txt.</summary>
    public static string RunLine(int shards) => shards == 1 ? "" : string.Create(CultureInfo.InvariantCulture, $"shards={shards}\n");

    /// <summary>The trainer for a run with several processes or shards; null for today's single-process step.</summary>
    public static DataParallelTrainer? Create(ITrainableNetwork net, TrainOptions options, Communicator communicator, int shards, WorkerPool pool)
    {
        if (communicator.Size == 1 && shards == 1)
        {
            return null;
        }

        try
        {
            return new DataParallelTrainer(net, communicator, options.Batch, shards, options.Overlap ? pool : null);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{communicator.Size} process(es), --shards {shards}, --batch {options.Batch}: {e.Message.Split(" (Parameter", 2)[0]}");
        }
    }

    /// <summary>Every rank checks that all run the same options (run.txt), data, weights and optimizer state.</summary>
    public static void CheckAgreement(DataParallelTrainer trainer, IOptimizer optimizer, string run, string dataLines, Communicator communicator)
    {
        if (communicator.Size == 1)
        {
            return;
        }

        var description = run + dataLines;
        try
        {
            trainer.CheckAgreement(optimizer, description);
        }
        catch (RunMismatchException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
