using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace InceptionGen.Diagnostics;

/// <summary>
/// Measures this machine's FP32 FMA peak: a register-only loop of independent fused multiply-adds on the
/// widest accelerated vector, run on every thread at once. It is the denominator of every
/// "fraction of peak" this project reports.
/// </summary>
public static class FmaPeak
{
    private const int Chains = 12;

    /// <summary>GFLOP/s (2 flops per lane per FMA) with <paramref name="threads"/> threads busy for about <paramref name="seconds"/>.</summary>
    /// <remarks>
    /// The best of three timings: a shared VM's neighbours and the JIT only ever make the loop slower, so the
    /// fastest run is the closest to the hardware's peak (one run once read 377 of a 518 GFLOP/s peak).
    /// </remarks>
    public static double Measure(int threads, double seconds = 0.5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Loop(10_000); // compile the loop before timing it
        var iterations = Calibrate(seconds / 3);
        var best = 0.0;
        for (var repeat = 0; repeat < 3; repeat++)
        {
            best = Math.Max(best, MeasureOnce(threads, iterations));
        }

        return best;
    }

    private static double MeasureOnce(int threads, long iterations)
    {
        var start = new Barrier(threads + 1);
        var workers = new Thread[threads];
        for (var i = 0; i < threads; i++)
        {
            workers[i] = new Thread(() =>
            {
                start.SignalAndWait();
                Loop(iterations);
            }) { IsBackground = true };
            workers[i].Start();
        }

        start.SignalAndWait();
        var clock = Stopwatch.StartNew();
        foreach (var worker in workers)
        {
            worker.Join();
        }

        return threads * FlopsPerIteration * iterations / clock.Elapsed.TotalSeconds / 1e9;
    }

    private static double FlopsPerIteration => Chains * 2.0 * LaneCount;

    private static int LaneCount =>
        Vector512.IsHardwareAccelerated ? Vector512<float>.Count
        : Vector256.IsHardwareAccelerated ? Vector256<float>.Count
        : Vector128.IsHardwareAccelerated ? Vector128<float>.Count
        : 1;

    private static long Calibrate(double seconds)
    {
        var clock = Stopwatch.StartNew();
        const long probe = 2_000_000;
        Loop(probe);
        return Math.Max(probe, (long)(probe * seconds / clock.Elapsed.TotalSeconds));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Loop(long iterations)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            return Loop<Vector512<float>, Fma512>(iterations).ToScalar();
        }

        if (Vector256.IsHardwareAccelerated)
        {
            return Loop<Vector256<float>, Fma256>(iterations).ToScalar();
        }

        return Vector128.IsHardwareAccelerated ? Loop<Vector128<float>, Fma128>(iterations).ToScalar() : Loop<float, FmaScalar>(iterations);
    }

    private interface IFma<T>
    {
        static abstract T Start { get; }
        static abstract T Multiplier { get; }
        static abstract T Addend { get; }
        static abstract T Apply(T accumulator, T multiplier, T addend);
    }

    private readonly struct Fma512 : IFma<Vector512<float>>
    {
        public static Vector512<float> Start => Vector512.Create(1f);
        public static Vector512<float> Multiplier => Vector512.Create(0.9999999f);
        public static Vector512<float> Addend => Vector512.Create(1e-7f);
        public static Vector512<float> Apply(Vector512<float> a, Vector512<float> m, Vector512<float> c) => Vector512.MultiplyAddEstimate(a, m, c);
    }

    private readonly struct Fma256 : IFma<Vector256<float>>
    {
        public static Vector256<float> Start => Vector256.Create(1f);
        public static Vector256<float> Multiplier => Vector256.Create(0.9999999f);
        public static Vector256<float> Addend => Vector256.Create(1e-7f);
        public static Vector256<float> Apply(Vector256<float> a, Vector256<float> m, Vector256<float> c) => Vector256.MultiplyAddEstimate(a, m, c);
    }

    private readonly struct Fma128 : IFma<Vector128<float>>
    {
        public static Vector128<float> Start => Vector128.Create(1f);
        public static Vector128<float> Multiplier => Vector128.Create(0.9999999f);
        public static Vector128<float> Addend => Vector128.Create(1e-7f);
        public static Vector128<float> Apply(Vector128<float> a, Vector128<float> m, Vector128<float> c) => Vector128.MultiplyAddEstimate(a, m, c);
    }

    private readonly struct FmaScalar : IFma<float>
    {
        public static float Start => 1f;
        public static float Multiplier => 0.9999999f;
        public static float Addend => 1e-7f;
        public static float Apply(float a, float m, float c) => MathF.FusedMultiplyAdd(a, m, c);
    }

    /// <summary>Twelve independent accumulator chains: enough to cover FMA latency × throughput on current cores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fully optimized from the first call: no tier-0 or OSR code in a timing
    private static T Loop<T, TFma>(long iterations) where TFma : struct, IFma<T>
    {
        T a0 = TFma.Start, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        var m = TFma.Multiplier;
        var c = TFma.Addend;
        for (long i = 0; i < iterations; i++)
        {
            a0 = TFma.Apply(a0, m, c); a1 = TFma.Apply(a1, m, c); a2 = TFma.Apply(a2, m, c); a3 = TFma.Apply(a3, m, c);
            a4 = TFma.Apply(a4, m, c); a5 = TFma.Apply(a5, m, c); a6 = TFma.Apply(a6, m, c); a7 = TFma.Apply(a7, m, c);
            a8 = TFma.Apply(a8, m, c); a9 = TFma.Apply(a9, m, c); a10 = TFma.Apply(a10, m, c); a11 = TFma.Apply(a11, m, c);
        }

        // Fold the chains so none is dead code.
        return TFma.Apply(TFma.Apply(TFma.Apply(a0, a1, a2), TFma.Apply(a3, a4, a5), TFma.Apply(a6, a7, a8)), a9, TFma.Apply(a10, a11, c));
    }
}
