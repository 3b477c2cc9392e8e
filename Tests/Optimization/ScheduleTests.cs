using InceptionGen.Training;
using Xunit;

namespace InceptionGen.Tests.Optimization;

/// <summary>Learning-rate schedules at their boundaries, against values worked out by hand.</summary>
public class ScheduleTests
{
    /// <summary>The schedules compute in double and round once to float: within 1e-6 relative of the exact value, or exactly 0.</summary>
    private static void AssertRate(double expected, float actual, string what)
    {
        var tolerance = 1e-6 * Math.Abs(expected);
        Assert.True(Math.Abs(actual - expected) <= tolerance, $"{what}: {actual:G9}, expected {expected:G9}.");
    }

    /// <summary>The paper's schedule: 4% off every 8 epochs. Epochs 0–7.99 at the base rate, 8 at 0.96 of it, 16 at 0.96².</summary>
    [Theory]
    [InlineData(0.0, 0.01)]
    [InlineData(7.0, 0.01)]
    [InlineData(7.999, 0.01)]
    [InlineData(8.0, 0.0096)]
    [InlineData(15.5, 0.0096)]
    [InlineData(16.0, 0.009216)]
    [InlineData(80.0, 0.006648326359915008)] // 0.01 · 0.96¹⁰
    public void StepDecayCutsFourPercentEveryEightEpochs(double epoch, double expected)
    {
        var schedule = new StepDecaySchedule(0.01f);
        Assert.Equal(0.96f, schedule.Factor);
        Assert.Equal(8, schedule.EveryEpochs);
        // The step count does not matter to an epoch schedule.
        AssertRate(expected, schedule.LearningRate(step: 0, epoch), $"epoch {epoch}");
        AssertRate(expected, schedule.LearningRate(step: 123_456, epoch), $"epoch {epoch}, step 123456");
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(1.99, 1.0)]
    [InlineData(2.0, 0.5)]
    [InlineData(4.0, 0.25)]
    [InlineData(5.9, 0.25)]
    public void StepDecayTakesAnyFactorAndPeriod(double epoch, double expected) =>
        AssertRate(expected, new StepDecaySchedule(1f, factor: 0.5f, everyEpochs: 2).LearningRate(0, epoch), $"epoch {epoch}");

    /// <summary>Over 100 steps from 0.1 to 0.001: the base rate at 0, the mean at 50, the minimum at 100 and after.</summary>
    [Theory]
    [InlineData(0L, 0.1)]
    [InlineData(25L, 0.08550178566873411)] // 0.001 + 0.099 · (1 + cos(π/4)) / 2
    [InlineData(50L, 0.0505)]
    [InlineData(75L, 0.01549821433126589)] // 0.001 + 0.099 · (1 − cos(π/4)) / 2
    [InlineData(100L, 0.001)]
    [InlineData(1000L, 0.001)]
    public void CosineOverStepsGoesFromTheBaseToTheMinimum(long step, double expected)
    {
        var schedule = new CosineSchedule(0.1f, totalSteps: 100, minRate: 0.001f);
        AssertRate(expected, schedule.LearningRate(step, epoch: 0), $"step {step}");
        AssertRate(expected, schedule.LearningRate(step, epoch: 37.5), $"step {step}, epoch 37.5");
    }

    /// <summary>10 warm-up steps then 100 cosine steps: 0 at step 0, linear to the base rate at 10, the mean at 60, the minimum at 110.</summary>
    [Theory]
    [InlineData(0L, 0.0)]
    [InlineData(1L, 0.01)]
    [InlineData(5L, 0.05)]
    [InlineData(9L, 0.09)]
    [InlineData(10L, 0.1)]
    [InlineData(60L, 0.0505)]
    [InlineData(110L, 0.001)]
    public void CosineWarmsUpLinearlyFromZero(long step, double expected)
    {
        var rate = new CosineSchedule(0.1f, totalSteps: 110, minRate: 0.001f, warmupSteps: 10).LearningRate(step, epoch: 0);
        if (expected == 0)
        {
            Assert.Equal(0f, rate);
        }
        else
        {
            AssertRate(expected, rate, $"step {step}");
        }
    }

    /// <summary>Over 10 epochs with half an epoch of warm-up: counted in epochs, fractions included, whatever the step.</summary>
    [Theory]
    [InlineData(0.25, 0.05)]
    [InlineData(0.5, 0.1)]
    [InlineData(5.25, 0.05)]
    [InlineData(10.0, 0.0)]
    [InlineData(12.0, 0.0)]
    public void CosineOverEpochsCountsEpochs(double epoch, double expected)
    {
        var schedule = CosineSchedule.OverEpochs(0.1f, totalEpochs: 10, warmupEpochs: 0.5);
        Assert.True(schedule.CountsEpochs);
        var rate = schedule.LearningRate(step: 999, epoch);
        if (expected == 0)
        {
            Assert.True(Math.Abs(rate) <= 1e-9, $"epoch {epoch}: {rate:G9}, expected 0.");
        }
        else
        {
            AssertRate(expected, rate, $"epoch {epoch}");
        }
    }

    [Fact]
    public void CosineNeverRisesAfterTheWarmup()
    {
        var schedule = new CosineSchedule(0.1f, totalSteps: 1000, warmupSteps: 50);
        var previous = schedule.LearningRate(50, 0);
        Assert.Equal(0.1f, previous);
        for (var step = 51L; step <= 1100; step++)
        {
            var rate = schedule.LearningRate(step, 0);
            Assert.True(rate <= previous, $"step {step}: {rate:G9} after {previous:G9}.");
            previous = rate;
        }

        Assert.Equal(0f, previous);
    }

    [Fact]
    public void ConstantIsConstant()
    {
        var schedule = new ConstantSchedule(0.045f);
        Assert.Equal(0.045f, schedule.LearningRate(0, 0));
        Assert.Equal(0.045f, schedule.LearningRate(1_000_000, 250.5));
    }

    [Fact]
    public void InvalidSchedulesAndProgressAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(-1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecaySchedule(0.1f, factor: 0f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecaySchedule(0.1f, everyEpochs: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(0.1f, totalSteps: 10, warmupSteps: 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(0.1f, totalSteps: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(0.1f, totalSteps: 10, minRate: 0.2f));
        Assert.Throws<ArgumentOutOfRangeException>(() => CosineSchedule.OverEpochs(0.1f, totalEpochs: double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(0.1f).LearningRate(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepDecaySchedule(0.1f).LearningRate(0, -0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineSchedule(0.1f, 10).LearningRate(0, double.NaN));
    }
}
