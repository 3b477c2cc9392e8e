namespace InceptionGen.Training;

/// <summary>
/// A learning rate as a function of training progress. Before each step:
/// <c>optimizer.LearningRate = schedule.LearningRate(optimizer.StepCount, epoch + (double)batch / batchesPerEpoch)</c>.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate for the next step.</summary>
    /// <param name="step">Steps taken so far (<see cref="IOptimizer.StepCount"/> before the step): 0 for the first.</param>
    /// <param name="epoch">Epochs done so far, with the fraction of the current one: 7.5 is halfway through the eighth epoch.</param>
    float LearningRate(long step, double epoch);
}

/// <summary>The same learning rate throughout.</summary>
public sealed class ConstantSchedule : ILearningRateSchedule
{
    public ConstantSchedule(float rate)
    {
        Schedules.CheckRate(rate, nameof(rate));
        Rate = rate;
    }

    public float Rate { get; }

    public float LearningRate(long step, double epoch)
    {
        Schedules.CheckProgress(step, epoch);
        return Rate;
    }
}

/// <summary>
/// A staircase: <c>baseRate · factor^⌊epoch / everyEpochs⌋</c>. The defaults are the GoogLeNet paper's
/// "decreasing the learning rate by 4% every 8 epochs": epochs 0–7 run at the base rate, 8–15 at 0.96 of it.
/// </summary>
public sealed class StepDecaySchedule : ILearningRateSchedule
{
    public StepDecaySchedule(float baseRate, float factor = 0.96f, int everyEpochs = 8)
    {
        Schedules.CheckRate(baseRate, nameof(baseRate));
        if (!(factor > 0) || !float.IsFinite(factor))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The factor must be finite and above 0.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(everyEpochs, 1);
        BaseRate = baseRate;
        Factor = factor;
        EveryEpochs = everyEpochs;
    }

    public float BaseRate { get; }

    public float Factor { get; }

    public int EveryEpochs { get; }

    public float LearningRate(long step, double epoch)
    {
        Schedules.CheckProgress(step, epoch);
        return (float)(BaseRate * Math.Pow(Factor, Math.Floor(epoch / EveryEpochs)));
    }
}

/// <summary>
/// Cosine annealing from <c>baseRate</c> to <c>minRate</c>, after an optional linear warm-up from 0, over
/// steps (the constructor) or epochs (<see cref="OverEpochs"/>). With t the step (or epoch), w the warm-up
/// and T the total: <c>baseRate · t / w</c> while t &lt; w, then
/// <c>minRate + (baseRate − minRate) · (1 + cos(π · (t − w) / (T − w))) / 2</c>, and <c>minRate</c> from T on.
/// With minRate 0 this is Hugging Face's <c>get_cosine_schedule_with_warmup</c> (step 0 of a warm-up runs at rate 0).
/// </summary>
public sealed class CosineSchedule : ILearningRateSchedule
{
    private readonly bool _byEpoch;

    /// <summary>Over <paramref name="totalSteps"/> steps, of which the first <paramref name="warmupSteps"/> warm up.</summary>
    public CosineSchedule(float baseRate, long totalSteps, float minRate = 0f, long warmupSteps = 0)
        : this(baseRate, totalSteps, minRate, warmupSteps, byEpoch: false, nameof(totalSteps), nameof(warmupSteps))
    {
    }

    private CosineSchedule(float baseRate, double total, float minRate, double warmup, bool byEpoch, string totalName, string warmupName)
    {
        Schedules.CheckRate(baseRate, nameof(baseRate));
        Schedules.CheckRate(minRate, nameof(minRate));
        if (minRate > baseRate)
        {
            throw new ArgumentOutOfRangeException(nameof(minRate), minRate, "The minimum rate must not exceed the base rate.");
        }

        if (!double.IsFinite(warmup) || warmup < 0)
        {
            throw new ArgumentOutOfRangeException(warmupName, warmup, "The warm-up must be finite and at least 0.");
        }

        if (!double.IsFinite(total) || total <= warmup)
        {
            throw new ArgumentOutOfRangeException(totalName, total, "The total must be finite and longer than the warm-up.");
        }

        BaseRate = baseRate;
        MinRate = minRate;
        Total = total;
        Warmup = warmup;
        _byEpoch = byEpoch;
    }

    /// <summary>Over <paramref name="totalEpochs"/> epochs (fractions count), of which the first <paramref name="warmupEpochs"/> warm up.</summary>
    public static CosineSchedule OverEpochs(float baseRate, double totalEpochs, float minRate = 0f, double warmupEpochs = 0) =>
        new(baseRate, totalEpochs, minRate, warmupEpochs, byEpoch: true, nameof(totalEpochs), nameof(warmupEpochs));

    public float BaseRate { get; }

    public float MinRate { get; }

    /// <summary>The length of the schedule, in steps or epochs (<see cref="CountsEpochs"/>).</summary>
    public double Total { get; }

    /// <summary>The warm-up, in the same unit as <see cref="Total"/>.</summary>
    public double Warmup { get; }

    /// <summary>Whether <see cref="Total"/> and <see cref="Warmup"/> count epochs rather than steps.</summary>
    public bool CountsEpochs => _byEpoch;

    public float LearningRate(long step, double epoch)
    {
        Schedules.CheckProgress(step, epoch);
        var t = _byEpoch ? epoch : step;
        if (t < Warmup)
        {
            return (float)(BaseRate * (t / Warmup));
        }

        var progress = Math.Min(1.0, (t - Warmup) / (Total - Warmup));
        return (float)(MinRate + (BaseRate - (double)MinRate) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}

internal static class Schedules
{
    public static void CheckRate(float rate, string name)
    {
        if (!float.IsFinite(rate) || rate < 0)
        {
            throw new ArgumentOutOfRangeException(name, rate, "A learning rate must be finite and at least 0.");
        }
    }

    public static void CheckProgress(long step, double epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (!double.IsFinite(epoch) || epoch < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(epoch), epoch, "The epoch must be finite and at least 0.");
        }
    }
}
