using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using InceptionGen.CommandLine;
using InceptionGen.Data;
using InceptionGen.Definitions;
using InceptionGen.Distributed;
using InceptionGen.Images;
using InceptionGen.Interop;
using InceptionGen.Threading;
using InceptionGen.Training;
using Spectre.Console;

namespace InceptionGen.Cli;

/// <summary>What <c>train fashion-mnist</c> was asked to do.</summary>
internal sealed record TrainOptions
{
    public int Epochs { get; init; } = 1;
    public int Batch { get; init; } = 64;
    public float? LearningRate { get; init; }
    public string Schedule { get; init; } = "cosine";
    public string Optimizer { get; init; } = "sgd";
    public ulong Seed { get; init; } = 1;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public string Output { get; init; } = Path.Combine("runs", "fashion-mnist");
    public int? Subset { get; init; }
    public int Validation { get; init; } = 5000;
    public bool Augment { get; init; } = true;
    public bool Resume { get; init; }

    /// <summary>Start a new run in a folder that holds another one (its files are replaced as the new run goes).</summary>
    public bool Force { get; init; }

    /// <summary>Shards per batch for data-parallel training (null: one per process, or the resumed run's).</summary>
    public int? Shards { get; init; }

    /// <summary>Sum Linear gradients over processes while the backward pass runs.</summary>
    public bool Overlap { get; init; }

    /// <summary>The network to train (<c>train --network</c>); FashionInception for <c>train fashion-mnist</c>.</summary>
    public string Network { get; init; } = "FashionInception";

    /// <summary>Fine-tuning: a weights file to start from (a fresh run only; a resume reads the checkpoint).</summary>
    public string? Init { get; init; }

    /// <summary>Fine-tuning: initialize the final and auxiliary classifiers afresh instead of loading them from <see cref="Init"/>.</summary>
    public bool ReplaceClassifier { get; init; }

    /// <summary>Fine-tuning: the layers declared up to this one keep their weights.</summary>
    public string? Freeze { get; init; }

    /// <summary>Random erasing: the probability that a training image gets a random rectangle (2–40% of its area) set to the mean pixel.</summary>
    public float Erase { get; init; }

    /// <summary>Label smoothing ε of the training loss (0: none).</summary>
    public float LabelSmoothing { get; init; }

    /// <summary>The decay of an exponential moving average of the weights, which is then what is evaluated and saved (null: none).</summary>
    public float? Ema { get; init; }

    /// <summary>Test-time flip averaging: evaluate with the mean of the logits of each image and its mirror image, and record it in the model for <c>evaluate</c> and <c>run</c>.</summary>
    public bool FlipAverage { get; init; }

    /// <summary>The run.txt lines of the options added for issue 18, only when set, so that earlier runs' run.txt still matches.</summary>
    public string RecipeLines => string.Create(CultureInfo.InvariantCulture,
        $"{(Erase > 0 ? $"erase={Erase:R}\n" : "")}{(LabelSmoothing > 0 ? $"label_smoothing={LabelSmoothing:R}\n" : "")}{(Ema is { } d ? $"ema={d:R}\n" : "")}{(FlipAverage ? "tta=flip\n" : "")}");

    /// <summary>How many test images the final evaluation uses (all unless set; not a command-line option, tests use it to save time).</summary>
    public int? TestImages { get; init; }

    /// <summary>The learning rate used: <see cref="LearningRate"/>, else 0.05 for SGD and 1e-3 for Adam/AdamW.</summary>
    public float EffectiveLearningRate => LearningRate ?? (Optimizer == "sgd" ? 0.05f : 1e-3f);
}

/// <summary>One epoch's numbers (a row of the table and of <c>metrics.csv</c>).</summary>
internal sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainMainLoss, double TrainAuxLoss, double TrainAccuracy, double? ValidationAccuracy, float LearningRate, double Seconds)
{
    public const string CsvHeader = "epoch,train_loss,train_main_loss,train_aux_loss,train_accuracy,validation_accuracy,learning_rate,seconds";

    public string ToCsv() => string.Create(CultureInfo.InvariantCulture,
        $"{Epoch},{TrainLoss:R},{TrainMainLoss:R},{TrainAuxLoss:R},{TrainAccuracy:R},{(ValidationAccuracy is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "")},{LearningRate:R},{Seconds:F3}");

    /// <summary>The whole <c>metrics.csv</c>: the header and a row per epoch.</summary>
    public static string Csv(IEnumerable<EpochMetrics> history) => string.Concat(history.Select(m => m.ToCsv() + "\n").Prepend(CsvHeader + "\n"));

    /// <summary>Reads <see cref="Csv"/>'s text back, strictly.</summary>
    /// <exception cref="InvalidDataException">A line is not a row of numbers in order; the message names it.</exception>
    public static List<EpochMetrics> ParseCsv(string text, string source)
    {
        var lines = text.Split('\n');
        if (lines[0] != CsvHeader || lines[^1].Length != 0)
        {
            throw new InvalidDataException($"'{source}' does not start with the metrics header or does not end with a newline");
        }

        var result = new List<EpochMetrics>();
        var c = CultureInfo.InvariantCulture;
        for (var i = 1; i < lines.Length - 1; i++)
        {
            var f = lines[i].Split(',');
            if (f.Length != 8 || !int.TryParse(f[0], NumberStyles.None, c, out var epoch) || epoch != result.Count + 1
                || !double.TryParse(f[1], NumberStyles.Float, c, out var loss) || !double.TryParse(f[2], NumberStyles.Float, c, out var main)
                || !double.TryParse(f[3], NumberStyles.Float, c, out var aux) || !double.TryParse(f[4], NumberStyles.Float, c, out var accuracy)
                || !(f[5].Length == 0 || double.TryParse(f[5], NumberStyles.Float, c, out _))
                || !float.TryParse(f[6], NumberStyles.Float, c, out var rate) || !double.TryParse(f[7], NumberStyles.Float, c, out var seconds))
            {
                throw new InvalidDataException($"line {i + 1} of '{source}' is not the row of epoch {result.Count + 1}");
            }

            result.Add(new EpochMetrics(epoch, loss, main, aux, accuracy, f[5].Length == 0 ? null : double.Parse(f[5], c), rate, seconds));
        }

        return result;
    }
}

/// <summary>The sums of an epoch stopped part-way, kept in the checkpoint so its row covers the whole epoch after a resume.</summary>
internal sealed record EpochProgress(long Epoch, double LossSum, double MainSum, double AuxSum, long Correct, long Seen, double Seconds)
{
    public string ToText() => string.Create(CultureInfo.InvariantCulture, $"{Epoch},{LossSum:R},{MainSum:R},{AuxSum:R},{Correct},{Seen},{Seconds:R}");

    public static EpochProgress? Parse(string? text)
    {
        var f = text?.Split(',');
        var c = CultureInfo.InvariantCulture;
        return f is { Length: 7 } && long.TryParse(f[0], c, out var epoch) && double.TryParse(f[1], c, out var loss) && double.TryParse(f[2], c, out var main)
            && double.TryParse(f[3], c, out var aux) && long.TryParse(f[4], c, out var correct) && long.TryParse(f[5], c, out var seen) && double.TryParse(f[6], c, out var seconds)
            ? new EpochProgress(epoch, loss, main, aux, correct, seen, seconds)
            : null;
    }
}

/// <summary>What a training run ended with (<see cref="Parameters"/>: the training weights, not their moving average).</summary>
internal sealed record TrainResult(bool Completed, IReadOnlyList<EpochMetrics> Epochs, double? TestAccuracy, int[,]? Confusion, float[] Parameters)
{
    /// <summary>Where the time of a completed run went (null for a stopped one).</summary>
    public Throughput? Throughput { get; init; }
}

/// <summary>
/// A run's profile: <paramref name="Images"/> trained in this process's epochs, the seconds spent filling batches
/// (decoding, augmenting: input preparation), in the training steps alone, and in whole epochs (input, steps,
/// validation, checkpoints, plots).
/// </summary>
internal sealed record Throughput(long Images, double InputSeconds, double StepSeconds, double EpochSeconds)
{
    public double StepImagesPerSecond => Images / Math.Max(StepSeconds, 1e-9);

    public double EpochImagesPerSecond => Images / Math.Max(EpochSeconds, 1e-9);

    /// <summary>Input preparation's share of the epochs' time.</summary>
    public double InputShare => InputSeconds / Math.Max(EpochSeconds, 1e-9);

    public string ToText() => string.Create(CultureInfo.InvariantCulture,
        $"throughput: training steps alone {StepImagesPerSecond:F0} images/s ({StepSeconds:F1} s); whole epochs {EpochImagesPerSecond:F0} images/s ({EpochSeconds:F1} s, with validation and checkpoints); input preparation {InputSeconds:F2} s ({InputShare:P1} of the epochs)");
}

/// <summary>
/// Trains a network on an <see cref="ITrainingData"/>: <see cref="FashionInception"/> on Fashion-MNIST
/// (<c>train fashion-mnist</c>), or any declared network on an image folder (<c>train --network N --data DIR</c>).
/// Every random choice (shuffle, crop, flip, dropout) is a function of the seed and the global step, so a
/// checkpoint's step and seed are the whole random state and <c>--resume</c> continues bit for bit, at an epoch
/// boundary or in the middle of one.
/// </summary>
internal sealed class FashionTrainer
{
    private readonly TrainOptions options;
    private readonly ITrainingData data;
    private readonly IAnsiConsole console;
    private readonly bool interactive;
    private readonly Func<int, ulong, WorkerPool, ITrainableNetwork> _createNetwork;

    /// <summary><c>train fashion-mnist</c>: <c>--network</c> (FashionInception unless given) on the training images less the last <c>--validation</c>.</summary>
    public FashionTrainer(TrainOptions options, FashionMnistData data, IAnsiConsole console, bool interactive)
        : this(options, FashionData(options, data), FashionNetwork(options.Network), console, interactive)
    {
    }

    /// <summary>A network of the catalog that takes a 1x28x28 image.</summary>
    private static Func<int, ulong, WorkerPool, ITrainableNetwork> FashionNetwork(string name)
    {
        var shape = NetworkCatalog.Find(name).Summary.InputShape;
        if (shape is not { Channels: 1, Height: FashionMnist.Side, Width: FashionMnist.Side })
        {
            throw new UsageException($"{name}'s input is {shape}; Fashion-MNIST's images are 1x28x28");
        }

        return TrainCommand.TrainableNetwork(name);
    }

    /// <summary>Any trainable network on any data.</summary>
    public FashionTrainer(TrainOptions options, ITrainingData data, Func<int, ulong, WorkerPool, ITrainableNetwork> createNetwork, IAnsiConsole console, bool interactive)
    {
        this.options = options;
        this.data = data;
        this.console = console;
        this.interactive = interactive;
        _createNetwork = createNetwork;
    }

    /// <summary>Metadata saved with the final model (the image folder's class names and transform).</summary>
    public IReadOnlyDictionary<string, string>? ModelMetadata { get; init; }

    private static FashionMnistTrainingData FashionData(TrainOptions options, FashionMnistData data)
    {
        var trainLimit = FashionMnist.TrainCount - options.Validation;
        return new FashionMnistTrainingData(data, Math.Min(options.Subset ?? trainLimit, trainLimit), options.Validation, options.Augment) { Erase = options.Erase };
    }

    public const string CheckpointFile = "checkpoint.safetensors";
    public const string ModelFile = "model.safetensors";
    public const string MetricsFile = "metrics.csv";

    /// <summary>The options that decide the result (not --threads), checked by --resume.</summary>
    public const string RunFile = "run.txt";

    /// <summary>Called after each epoch's checkpoint (tests use it to interrupt a run).</summary>
    public Action<int>? EpochCompleted { get; init; }

    /// <summary>Called after each step with the global step count (tests use it to interrupt a run mid-epoch).</summary>
    public Action<long>? StepCompleted { get; init; }

    /// <summary>Called with the step just before each checkpoint is written (tests throw from it to simulate a full disk).</summary>
    public Action<long>? CheckpointWriting { get; init; }

    /// <summary>The checkpoint's notes: the options (as in <see cref="RunFile"/>), the metrics (as in <see cref="MetricsFile"/>) and an unfinished epoch's sums.</summary>
    private const string OptionsNote = "options", MetricsNote = "metrics", ProgressNote = "epoch_progress";

    /// <summary>The processes of a data-parallel run (mpirun); only rank 0 writes files.</summary>
    public Communicator Communicator { get; init; } = Communicator.Single;

    public TrainResult Run(CancellationToken cancellation)
    {
        var validation = data.ValidationCount;
        var trainCount = data.TrainCount;
        if (trainCount < options.Batch)
        {
            throw new UsageException($"only {trainCount} training image(s) left after --subset and the validation split; need at least one batch of {options.Batch}");
        }

        var batchesPerEpoch = trainCount / options.Batch;
        var totalSteps = (long)batchesPerEpoch * options.Epochs;
        // Only rank 0 writes, so only it takes the folder's lock (the others would be refused by it).
        using var folder = Communicator.IsRoot ? RunFolder.Open(options.Output, options.Resume, options.Force, console) : null;
        var checkpointPath = Path.Combine(options.Output, CheckpointFile);
        var metricsPath = Path.Combine(options.Output, MetricsFile);

        using var pool = new WorkerPool(options.Threads);
        var net = _createNetwork(options.Batch, options.Seed, pool);
        net.DropoutSeed = options.Seed;
        net.LabelSmoothing = options.LabelSmoothing;
        if (net.OutputLength != data.ClassNames.Count)
        {
            throw new UsageException($"{options.Network} has {net.OutputLength} outputs (the classes of its last layer, fixed when it is declared) but the data has {data.ClassNames.Count} classes; declare a copy of the network whose classifier (and auxiliary heads) have {data.ClassNames.Count} classes, and fine-tune it with --init W --replace-classifier");
        }

        var optimizer = CreateOptimizer();
        if (options.Freeze is { } freeze)
        {
            try
            {
                optimizer.FrozenTensors = FineTuning.TensorsUpTo(net, freeze);
                FineTuning.SkipFrozenWeightGradients(net, optimizer.FrozenTensors, pool);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--freeze: {e.Message.Split(" (Parameter", 2)[0]}");
            }
        }

        if (options.Init is { } init && !options.Resume)
        {
            LoadInitialWeights(net, init);
        }

        var schedule = CreateSchedule(batchesPerEpoch, totalSteps);

        // What the steps and checkpoints use: the optimizer, or it and the weights' moving average.
        var average = options.Ema is { } decay ? new ExponentialMovingAverage(optimizer, decay) : null;
        IOptimizerState stepper = average is null ? optimizer : average;

        long step = 0;
        var history = new List<EpochMetrics>();
        var runPath = Path.Combine(options.Output, RunFile);
        var shards = DistributedRun.Shards(options, Communicator, options.Resume ? RecordedOptions(checkpointPath, runPath) : null);
        var writes = Communicator.IsRoot;
        var run = string.Create(CultureInfo.InvariantCulture,
            $"network={options.Network}\n{data.RunLines}{FineTuningLines()}batch={options.Batch}\nepochs={options.Epochs}\nlr={options.EffectiveLearningRate:R}\nschedule={options.Schedule}\noptimizer={options.Optimizer}\nseed={options.Seed}\naugment={options.Augment}\n") + options.RecipeLines + DistributedRun.RunLine(shards);
        EpochProgress? progress = null;
        using var parallel = DistributedRun.Create(net, options, Communicator, shards, pool);
        if (options.Resume)
        {
            if (!File.Exists(checkpointPath))
            {
                throw new UsageException($"--resume: no checkpoint at '{checkpointPath}'");
            }

            // The options first: a resume with others (--batch 64 for a batch-32 run) is refused before anything loads.
            var recorded = RecordedOptions(checkpointPath, runPath)
                ?? throw new UsageException($"--resume: neither '{checkpointPath}' nor a '{RunFile}' beside it records the run's options");
            if (recorded != run)
            {
                var before = recorded.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                var now = run.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                var differences = now.Except(before).Select(line => line.Replace("=", " ", StringComparison.Ordinal));
                throw new UsageException($"--resume needs the options of the run in '{options.Output}' ({string.Join(", ", before.Except(now))}); this run has {string.Join(", ", differences)}");
            }

            CheckpointState state;
            try
            {
                state = Checkpoint.Load(checkpointPath, net.Parameters, stepper);
            }
            catch (SafeTensorsException e)
            {
                throw new UsageException($"--resume: {TrainCommand.OneLine(e.Message)}");
            }

            net.DropoutSeed = state.RngSeed;
            net.TrainingStep = state.RngStep;
            step = state.Step;
            if (state.RngSeed != options.Seed)
            {
                throw new UsageException($"--resume: the checkpoint was made with --seed {state.RngSeed}, not {options.Seed}");
            }

            history.AddRange(ResumedMetrics(state, metricsPath));
            progress = EpochProgress.Parse(state.Notes.GetValueOrDefault(ProgressNote)) is { } saved && saved.Epoch == step / batchesPerEpoch && step % batchesPerEpoch != 0 ? saved : null;
            console.MarkupLine($"resumed from [bold]{Markup.Escape(checkpointPath)}[/] at epoch {state.Epoch}, step {step}");
        }

        if (parallel is not null)
        {
            DistributedRun.CheckAgreement(parallel, stepper, run, data.AgreementLines, Communicator);
        }

        if (writes)
        {
            AtomicFile.Write(runPath, stream => stream.Write(Encoding.UTF8.GetBytes(run)));
            WriteMetrics(metricsPath, history);
        }

        var dataSeed = Mix(options.Seed, 0x5EED_DA7A_0000_0001UL);
        var images = new float[options.Batch * data.ImageLength];
        var labels = new int[options.Batch];
        var logits = new float[options.Batch * net.OutputLength];
        double trainingSeconds = 0;
        long trainedImages = 0;
        // Profile (Stopwatch ticks): filling batches (input preparation), the training steps alone, and whole epochs
        // (batches, validation, checkpoints and plots).
        long inputTicks = 0, stepTicks = 0;
        var epochsStarted = Stopwatch.GetTimestamp();
        var completed = true;
        string? diverged = null;
        if (interactive)
        {
            console.Write(new Rule($"{options.Network}: {trainCount:N0} training images, {validation:N0} validation, batch {options.Batch}, {options.Optimizer}, {options.Schedule}, lr {options.EffectiveLearningRate}, {options.Threads} thread(s){(shards > 1 ? $", {shards} shards on {Communicator.Size} process(es)" : "")}"));
        }
        else
        {
            console.WriteLine($"{options.Network}: {trainCount} training images, {validation} validation, batch {options.Batch}, {options.Optimizer}, {options.Schedule}, lr {options.EffectiveLearningRate.ToString(CultureInfo.InvariantCulture)}, {options.Threads} thread(s){(shards > 1 ? $", {shards} shards on {Communicator.Size} process(es)" : "")}");
        }

        console.WriteLine($"{"epoch",5} {"loss",8} {"main",8} {"aux",8} {"train acc",9} {"val acc",8} {"lr",10} {"time s",8}");
        while (step < totalSteps && !cancellation.IsCancellationRequested)
        {
            var epoch = (int)(step / batchesPerEpoch);
            var first = (int)(step % batchesPerEpoch);
            var order = Permutation(trainCount, Mix(dataSeed, (ulong)epoch));

            // A resumed epoch goes on from the sums it had, so its row covers all of its batches.
            var carried = progress ?? new EpochProgress(epoch, 0, 0, 0, 0, 0, 0);
            progress = null;
            double lossSum = carried.LossSum, mainSum = carried.MainSum, auxSum = carried.AuxSum;
            long correct = carried.Correct, seen = carried.Seen;
            var watch = Stopwatch.StartNew();
            var lastRate = optimizer.LearningRate;

            void RunBatches(Action<int>? report)
            {
                for (var b = first; b < batchesPerEpoch; b++)
                {
                    if (cancellation.IsCancellationRequested)
                    {
                        completed = false;
                        return;
                    }

                    var started = Stopwatch.GetTimestamp();
                    data.FillBatch(order, b, step, dataSeed, images, labels);
                    optimizer.LearningRate = lastRate = schedule.LearningRate(optimizer.StepCount, epoch + (double)b / batchesPerEpoch);
                    var filled = Stopwatch.GetTimestamp();
                    inputTicks += filled - started;
                    var loss = parallel?.TrainStep(images, labels, stepper) ?? net.TrainStep(images, labels, options.Batch, stepper);
                    stepTicks += Stopwatch.GetTimestamp() - filled;
                    if (!float.IsFinite(loss.Total))
                    {
                        // The weights are already NaN/inf: stop before they reach a checkpoint.
                        diverged = $"training diverged at epoch {epoch + 1}, batch {b + 1} (loss {loss.Total.ToString(CultureInfo.InvariantCulture)} at learning rate {lastRate.ToString("G4", CultureInfo.InvariantCulture)}); " +
                            $"nothing was saved from this epoch{(File.Exists(checkpointPath) ? $", '{checkpointPath}' still holds the last good epoch" : "")}; try a smaller --lr than {options.EffectiveLearningRate.ToString(CultureInfo.InvariantCulture)}";
                        return;
                    }

                    lossSum += loss.Total;
                    mainSum += loss.Main;
                    correct += loss.Correct;
                    auxSum += loss.Auxiliary;
                    seen += options.Batch;
                    trainedImages += options.Batch;
                    step++;
                    report?.Invoke(b + 1);
                    StepCompleted?.Invoke(step);
                }
            }

            if (interactive)
            {
                console.Progress()
                    .AutoClear(true)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(context =>
                    {
                        var task = context.AddTask($"epoch {epoch + 1}", maxValue: batchesPerEpoch);
                        task.Value = first;
                        RunBatches(done =>
                        {
                            task.Value = done;
                            var rate = (seen - carried.Seen) / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
                            task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {epoch + 1}/{options.Epochs}  {rate,6:F0} img/s  loss {lossSum / Math.Max(1, seen / options.Batch):F4}");
                        });
                    });
            }
            else
            {
                var nextReport = first + Math.Max(1, batchesPerEpoch / 4);
                RunBatches(done =>
                {
                    if (done >= nextReport && done < batchesPerEpoch)
                    {
                        nextReport += Math.Max(1, batchesPerEpoch / 4);
                        var rate = (seen - carried.Seen) / Math.Max(watch.Elapsed.TotalSeconds, 1e-9);
                        var eta = (batchesPerEpoch - done) * options.Batch / Math.Max(rate, 1e-9);
                        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  epoch {epoch + 1}: {done}/{batchesPerEpoch} batches, {rate:F0} img/s, loss {lossSum / Math.Max(1, seen / options.Batch):F4}, eta {eta:F0} s"));
                    }
                });
            }

            if (diverged is not null)
            {
                throw new UsageException(diverged);
            }

            var epochDone = step % batchesPerEpoch == 0 && step > 0 && completed;
            var completedEpochs = step / batchesPerEpoch;
            var seconds = carried.Seconds + watch.Elapsed.TotalSeconds;
            trainingSeconds += watch.Elapsed.TotalSeconds;
            EpochMetrics? metrics = null;
            if (epochDone)
            {
                var batches = Math.Max(1, seen / options.Batch);
                double? validationAccuracy = validation > 0 && writes ? Evaluated(net, average, evaluated => data.ValidationAccuracy(evaluated, images, logits)) : null;
                metrics = new EpochMetrics(epoch + 1, lossSum / batches, mainSum / batches, auxSum / batches, seen == 0 ? 0 : (double)correct / seen, validationAccuracy, lastRate, seconds);
                history.Add(metrics);
            }

            // The checkpoint carries the metrics (and an unfinished epoch's sums), so metrics.csv, written after it, can always be rebuilt from it.
            var notes = new Dictionary<string, string> { [OptionsNote] = run, [MetricsNote] = EpochMetrics.Csv(history) };
            if (!epochDone)
            {
                notes[ProgressNote] = new EpochProgress(completedEpochs, lossSum, mainSum, auxSum, correct, seen, seconds).ToText();
            }

            if (writes)
            {
                SaveCheckpoint(checkpointPath, net, stepper, new CheckpointState(step, completedEpochs, net.DropoutSeed, net.TrainingStep) { Notes = notes });
                WriteMetrics(metricsPath, history);
            }

            if (metrics is null)
            {
                completed = false;
                break;
            }

            if (writes)
            {
                SavePlot(history, LearningRates(schedule, step, batchesPerEpoch));
            }

            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{metrics.Epoch,5} {metrics.TrainLoss,8:F4} {metrics.TrainMainLoss,8:F4} {metrics.TrainAuxLoss,8:F4} {metrics.TrainAccuracy,9:P2} {(metrics.ValidationAccuracy is { } v ? v.ToString("P2", CultureInfo.InvariantCulture) : "-"),8} {metrics.LearningRate,10:G4} {metrics.Seconds,8:F1}"));
            EpochCompleted?.Invoke(epoch + 1);
        }

        if (!completed || step < totalSteps)
        {
            console.WriteLine($"stopped at step {step} of {totalSteps} (epoch {step / batchesPerEpoch + 1}, batch {step % batchesPerEpoch}/{batchesPerEpoch}); checkpoint saved to {checkpointPath}; run again with --resume to continue");
            return new TrainResult(false, history, null, null, net.Parameters.ReadOnlySpan.ToArray());
        }

        if (!writes)
        {
            return new TrainResult(true, history, null, null, net.Parameters.ReadOnlySpan.ToArray());
        }

        var epochsSeconds = Stopwatch.GetElapsedTime(epochsStarted).TotalSeconds;
        var classes = data.ClassNames.Count;
        var confusion = new int[classes, classes];
        // The model saved and tested is the weights' moving average if one was kept, flip-averaged if asked (the metadata says so).
        var metadata = new Dictionary<string, string>(ModelMetadata ?? new Dictionary<string, string>());
        if (options.FlipAverage)
        {
            metadata[FlipAveragedNetwork.MetadataKey] = FlipAveragedNetwork.MetadataValue;
        }

        var final = Evaluated(net, average, evaluated =>
        {
            SafeTensors.Save(net, Path.Combine(options.Output, ModelFile), metadata);
            return data.FinalAccuracy(evaluated, options.TestImages, images, logits, confusion);
        });
        double? testAccuracy = null;
        if (final is var (accuracy, testCount))
        {
            testAccuracy = accuracy;
            var what = (average is null ? "" : "the weights' moving average, ") + (options.FlipAverage ? "flip-averaged, " : "");
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{data.FinalSetName} accuracy {accuracy:P2} ({what}{testCount} images)"));
            WriteConfusion(console, confusion, data.ClassNames);
        }

        data.Report(console, trainingSeconds, trainedImages);
        var throughput = new Throughput(trainedImages, (double)inputTicks / Stopwatch.Frequency, (double)stepTicks / Stopwatch.Frequency, epochsSeconds);
        if (trainedImages > 0)
        {
            console.WriteLine(throughput.ToText());
        }

        console.WriteLine($"weights: {Path.Combine(options.Output, ModelFile)}; metrics: {metricsPath}{(_plotError is null ? $"; curves: {Path.Combine(options.Output, TrainingPlot.FileName)}" : "")}");
        return new TrainResult(true, history, testAccuracy, confusion, net.Parameters.ReadOnlySpan.ToArray()) { Throughput = throughput };
    }

    private FlipAveragedNetwork? _flipAveraged;

    /// <summary>
    /// Runs <paramref name="evaluate"/> on what the run evaluates and saves: the weights' moving average if one is kept
    /// (the training weights are put back afterwards, exactly), flip-averaged if asked.
    /// </summary>
    private T Evaluated<T>(ITrainableNetwork net, ExponentialMovingAverage? average, Func<INetwork, T> evaluate)
    {
        INetwork evaluated = options.FlipAverage ? _flipAveraged ??= new FlipAveragedNetwork(net) : net;
        if (average is null || average.Average.IsEmpty)
        {
            return evaluate(evaluated);
        }

        var training = net.Parameters.ReadOnlySpan.ToArray();
        average.CopyAverageTo(net.Parameters);
        try
        {
            return evaluate(evaluated);
        }
        finally
        {
            training.CopyTo(net.Parameters.Span);
        }
    }

    /// <summary>The schedule's learning rate along the first <paramref name="steps"/> steps, at most about 400 points, as (epoch, rate) for the plot.</summary>
    public static List<(double Epoch, double Rate)> LearningRates(ILearningRateSchedule schedule, long steps, int batchesPerEpoch)
    {
        var every = Math.Max(1, (steps + 399) / 400);
        var points = new List<(double, double)>();
        for (var s = 0L; s < steps; s += every)
        {
            points.Add(((double)s / batchesPerEpoch, schedule.LearningRate(s, (double)s / batchesPerEpoch)));
        }

        if (steps > 0)
        {
            points.Add(((double)steps / batchesPerEpoch, schedule.LearningRate(steps - 1, (double)(steps - 1) / batchesPerEpoch)));
        }

        return points;
    }

    /// <summary>The options a run was started with: the checkpoint's copy, else run.txt's (checkpoints of older versions).</summary>
    private static string? RecordedOptions(string checkpointPath, string runPath)
    {
        if (File.Exists(checkpointPath))
        {
            var notes = InferenceCommands.Guard(checkpointPath, () => Checkpoint.ReadNotes(checkpointPath));
            if (notes.GetValueOrDefault(OptionsNote) is { } recorded)
            {
                return recorded;
            }
        }

        return File.Exists(runPath) ? File.ReadAllText(runPath) : null;
    }

    private string? _plotError;

    /// <summary>Redraws the curves; a machine without Skia's native library loses the plot, not the run.</summary>
    private void SavePlot(IReadOnlyList<EpochMetrics> history, IReadOnlyList<(double Epoch, double Rate)> learningRates)
    {
        if (_plotError is not null)
        {
            return;
        }

        try
        {
            TrainingPlot.Save(history, learningRates, Path.Combine(options.Output, TrainingPlot.FileName), options.Network);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or IOException or UnauthorizedAccessException or EntryPointNotFoundException)
        {
            _plotError = e.Message;
            console.WriteLine($"warning: no PNG plot ({e.GetType().Name}: {TrainCommand.OneLine(e.Message)}); metrics.csv has the same numbers");
        }
    }

    private BlockOptimizer CreateOptimizer()
    {
        var rate = options.EffectiveLearningRate;
        return options.Optimizer switch
        {
            "sgd" => new SgdMomentum(rate, momentum: 0.9f, weightDecay: 5e-4f, nesterov: true, decayBiases: false),
            "adam" => new Adam(rate, weightDecay: 5e-4f, decayBiases: false),
            "adamw" => Adam.AdamW(rate, weightDecay: 1e-2f, decayBiases: false),
            _ => throw new UsageException($"--optimizer takes sgd, adam or adamw, not '{options.Optimizer}'"),
        };
    }

    private ILearningRateSchedule CreateSchedule(int batchesPerEpoch, long totalSteps)
    {
        var rate = options.EffectiveLearningRate;
        return options.Schedule switch
        {
            // A short linear warm-up: 3% of the run, at most half an epoch, at least one step.
            "cosine" => new CosineSchedule(rate, totalSteps, minRate: 0f, warmupSteps: Math.Clamp(Math.Min(totalSteps * 3 / 100, batchesPerEpoch / 2), 1, totalSteps - 1)),
            "step" => new StepDecaySchedule(rate),
            "constant" => new ConstantSchedule(rate),
            _ => throw new UsageException($"--schedule takes cosine, step or constant, not '{options.Schedule}'"),
        };
    }

    /// <summary>Accuracy of <paramref name="net"/> on images [start, start + count) of <paramref name="set"/>; fills <paramref name="confusion"/> [true, predicted] if given.</summary>
    public static double Accuracy(INetwork net, FashionMnistSet set, int start, int count, float[] images, float[] logits, int[,]? confusion)
    {
        long correct = 0;
        for (var offset = 0; offset < count; offset += net.MaxBatch)
        {
            var batch = Math.Min(net.MaxBatch, count - offset);
            set.Images.AsSpan((start + offset) * FashionMnist.ImageSize, batch * FashionMnist.ImageSize).CopyTo(images);
            net.Forward(images.AsSpan(0, batch * FashionMnist.ImageSize), logits.AsSpan(0, batch * 10), batch);
            for (var i = 0; i < batch; i++)
            {
                var label = set.Labels[start + offset + i];
                var predicted = TensorPrimitives.IndexOfMax(logits.AsSpan(i * 10, 10));
                correct += predicted == label ? 1 : 0;
                if (confusion is not null)
                {
                    confusion[label, predicted]++;
                }
            }
        }

        return count == 0 ? 0 : (double)correct / count;
    }

    public static void WriteConfusion(IAnsiConsole console, int[,] confusion) => WriteConfusion(console, confusion, FashionMnist.ClassNames);

    /// <summary>The confusion matrix as a table; for more than 20 classes only the per-class accuracy of the 20 most confused.</summary>
    public static void WriteConfusion(IAnsiConsole console, int[,] confusion, IReadOnlyList<string> names)
    {
        var classes = names.Count;
        if (classes > 20)
        {
            var worst = Enumerable.Range(0, classes)
                .Select(c => (Class: c, Total: Enumerable.Range(0, classes).Sum(p => confusion[c, p]), Right: confusion[c, c]))
                .Where(c => c.Total > 0)
                .OrderBy(c => (double)c.Right / c.Total)
                .Take(20);
            console.WriteLine("lowest per-class accuracy (of " + classes.ToString(CultureInfo.InvariantCulture) + " classes):");
            foreach (var (c, total, right) in worst)
            {
                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {c,4} {names[c]}: {right}/{total}"));
            }

            return;
        }

        var table = new Table { Title = new TableTitle("confusion matrix (rows: true class, columns: predicted)") };
        table.AddColumn("true \\ predicted");
        for (var c = 0; c < classes; c++)
        {
            table.AddColumn(new TableColumn(c.ToString(CultureInfo.InvariantCulture)).RightAligned());
        }

        for (var r = 0; r < classes; r++)
        {
            var cells = new List<string> { Markup.Escape($"{r} {names[r]}") };
            for (var c = 0; c < classes; c++)
            {
                var text = confusion[r, c].ToString(CultureInfo.InvariantCulture);
                cells.Add(r == c ? $"[bold]{text}[/]" : text);
            }

            table.AddRow(cells.ToArray());
        }

        console.Write(table);
    }

    private static int[] Permutation(int count, ulong seed) => Shuffle.Permutation(count, seed);

    private static ulong Mix(ulong seed, ulong counter) => Shuffle.Mix(seed, counter);

    /// <summary>The run.txt lines of fine-tuning options (none without them, so other runs keep their run.txt).</summary>
    private string FineTuningLines()
        => (options.Init is null ? "" : $"init={Path.GetFullPath(options.Init)}\n") + (options.ReplaceClassifier ? "replace_classifier=True\n" : "") + (options.Freeze is null ? "" : $"freeze={options.Freeze}\n");

    /// <summary>--init: the weights to start from; with --replace-classifier the classifiers keep their fresh initialization.</summary>
    private void LoadInitialWeights(ITrainableNetwork net, string path)
    {
        var keep = options.ReplaceClassifier ? FineTuning.ClassifierTensors(net) : new HashSet<string>();
        try
        {
            SafeTensors.Load(net.Parameters, path, strict: true, keep);
        }
        catch (SafeTensorsException e)
        {
            var hint = options.ReplaceClassifier ? "" : " (weights trained on other classes: add --replace-classifier)";
            throw new UsageException($"--init: {TrainCommand.OneLine(e.Message)}{hint}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--init: cannot read '{path}': {TrainCommand.OneLine(e.Message)}");
        }
    }

    /// <summary>Writes the checkpoint; a failure (a full disk) is one line that says the previous checkpoint still stands.</summary>
    private void SaveCheckpoint(string path, ITrainableNetwork net, IOptimizerState optimizer, CheckpointState state)
    {
        try
        {
            CheckpointWriting?.Invoke(state.Step);
            Checkpoint.Save(path, net.Parameters, optimizer, state);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var kept = File.Exists(path) ? $"'{path}' still holds the last checkpoint, and metrics.csv agrees with it; make room and run again with --resume" : "no checkpoint was saved";
            throw new IOException($"cannot write the checkpoint at step {state.Step} ({TrainCommand.OneLine(e.Message)}); {kept}", e);
        }
    }

    /// <summary>Writes metrics.csv from the history; a failure is only a warning, since the checkpoint holds the same rows.</summary>
    private void WriteMetrics(string path, IReadOnlyList<EpochMetrics> history)
    {
        try
        {
            AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(EpochMetrics.Csv(history))));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.WriteLine($"warning: cannot write '{path}' ({TrainCommand.OneLine(e.Message)}); the checkpoint holds the same rows and --resume rewrites it");
        }
    }

    /// <summary>
    /// The metrics up to the checkpoint: the copy inside it (metrics.csv is rewritten from it, with a note if the file
    /// differed), or for a checkpoint without one, metrics.csv read strictly (a damaged file is an error, never dropped).
    /// </summary>
    private List<EpochMetrics> ResumedMetrics(CheckpointState state, string metricsPath)
    {
        var onDisk = File.Exists(metricsPath) ? File.ReadAllText(metricsPath) : null;
        if (state.Notes.GetValueOrDefault(MetricsNote) is { } saved)
        {
            var history = InferenceCommands.Guard(metricsPath, () => EpochMetrics.ParseCsv(saved, "the checkpoint's metrics"));
            if (onDisk != saved)
            {
                console.WriteLine($"note: '{metricsPath}' {(onDisk is null ? "was missing" : "did not match the checkpoint (damaged, or the run stopped before writing it)")}; rewritten from the checkpoint's {history.Count} row{(history.Count == 1 ? "" : "s")}");
            }

            return history;
        }

        if (onDisk is null)
        {
            return [];
        }

        try
        {
            return [.. EpochMetrics.ParseCsv(onDisk, metricsPath).Where(m => m.Epoch <= state.Epoch)];
        }
        catch (InvalidDataException e)
        {
            throw new UsageException($"--resume: {e.Message}, and the checkpoint (from an older version) holds no copy to rebuild it from; repair or delete it");
        }
    }
}
