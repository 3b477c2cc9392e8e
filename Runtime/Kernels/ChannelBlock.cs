using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace InceptionGen.Kernels;

/// <summary>
/// One block of 16 channels in registers: one Vector512, two Vector256 or four Vector128. Kernels are
/// written once, generic over the block type; the JIT specializes each for its struct and keeps the
/// fields in registers. A driver picks the widest accelerated block (see <see cref="Isa"/>).
/// </summary>
public interface IChannelBlock<TSelf> where TSelf : struct, IChannelBlock<TSelf>
{
    /// <summary>Registers one block takes; the emitter sizes register tiles with it.</summary>
    static abstract int RegistersPerBlock { get; }

    static abstract TSelf Zero { get; }

    static abstract TSelf Broadcast(float value);

    /// <summary>Loads 16 floats; no alignment needed.</summary>
    static abstract TSelf Load(ref float source);

    static abstract void Store(TSelf value, ref float destination);

    /// <summary><c>accumulator + x · weights</c>, fused where the hardware has FMA.</summary>
    static abstract TSelf MultiplyAdd(float x, TSelf weights, TSelf accumulator);

    /// <summary><c>accumulator + left · right</c> lane by lane, fused where the hardware has FMA.</summary>
    static abstract TSelf MultiplyAdd(TSelf left, TSelf right, TSelf accumulator);

    /// <summary>The sum of the 16 lanes (in an order of the block type's choosing).</summary>
    static abstract float Sum(TSelf value);

    static abstract TSelf Add(TSelf left, TSelf right);

    static abstract TSelf Multiply(TSelf left, TSelf right);

    static abstract TSelf Max(TSelf left, TSelf right);

    static abstract TSelf Sqrt(TSelf value);

    /// <summary>e^x per lane, as the runtime's vector Exp computes it.</summary>
    static abstract TSelf Exp(TSelf value);

    /// <summary>Natural log per lane, as the runtime's vector Log computes it.</summary>
    static abstract TSelf Log(TSelf value);

    static abstract TSelf Divide(TSelf left, TSelf right);

    /// <summary>All-ones lanes where <paramref name="value"/> &gt; 0, zero lanes elsewhere.</summary>
    static abstract TSelf GreaterThanZero(TSelf value);

    /// <summary>Lanes of <paramref name="whenTrue"/> where <paramref name="mask"/> is all ones, else of <paramref name="whenFalse"/>.</summary>
    static abstract TSelf Select(TSelf mask, TSelf whenTrue, TSelf whenFalse);

    /// <summary>All-ones lanes where <paramref name="left"/> == <paramref name="right"/> (IEEE: +0 equals -0, NaN equals nothing), zero lanes elsewhere.</summary>
    static abstract TSelf Equal(TSelf left, TSelf right);

    /// <summary>Bitwise <c>left &amp; right</c>, for masks.</summary>
    static abstract TSelf And(TSelf left, TSelf right);

    /// <summary>Bitwise <c>left &amp; ~right</c>: the lanes of <paramref name="left"/> not set in <paramref name="right"/>.</summary>
    static abstract TSelf AndNot(TSelf left, TSelf right);

    /// <summary>Bitwise <c>left | right</c>, for masks.</summary>
    static abstract TSelf Or(TSelf left, TSelf right);
}

/// <summary>16 channels as one AVX-512 vector.</summary>
public struct Block512 : IChannelBlock<Block512>
{
    public Vector512<float> V;

    public static int RegistersPerBlock => 1;
    public static Block512 Zero { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => default; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 Broadcast(float value) => new() { V = Vector512.Create(value) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 Load(ref float source) => new() { V = Vector512.LoadUnsafe(ref source) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Block512 value, ref float destination) => value.V.StoreUnsafe(ref destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 MultiplyAdd(float x, Block512 weights, Block512 accumulator) => new() { V = Vector512.MultiplyAddEstimate(Vector512.Create(x), weights.V, accumulator.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 MultiplyAdd(Block512 left, Block512 right, Block512 accumulator) => new() { V = Vector512.MultiplyAddEstimate(left.V, right.V, accumulator.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Block512 value) => Vector512.Sum(value.V);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 Add(Block512 left, Block512 right) => new() { V = left.V + right.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 Multiply(Block512 left, Block512 right) => new() { V = left.V * right.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 Max(Block512 left, Block512 right) => new() { V = Vector512.Max(left.V, right.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 Sqrt(Block512 value) => new() { V = Vector512.Sqrt(value.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 Exp(Block512 value) => new() { V = Vector512.Exp(value.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 Log(Block512 value) => new() { V = Vector512.Log(value.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 Divide(Block512 left, Block512 right) => new() { V = left.V / right.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 GreaterThanZero(Block512 value) => new() { V = Vector512.GreaterThan(value.V, Vector512<float>.Zero) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 Select(Block512 mask, Block512 whenTrue, Block512 whenFalse) => new() { V = Vector512.ConditionalSelect(mask.V, whenTrue.V, whenFalse.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 Equal(Block512 left, Block512 right) => new() { V = Vector512.Equals(left.V, right.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 And(Block512 left, Block512 right) => new() { V = left.V & right.V };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 AndNot(Block512 left, Block512 right) => new() { V = Vector512.AndNot(left.V, right.V) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block512 Or(Block512 left, Block512 right) => new() { V = left.V | right.V };
}

/// <summary>16 channels as two AVX2 vectors.</summary>
public struct Block256 : IChannelBlock<Block256>
{
    public Vector256<float> Low, High;

    public static int RegistersPerBlock => 2;
    public static Block256 Zero { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => default; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 Broadcast(float value) { var v = Vector256.Create(value); return new() { Low = v, High = v }; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 Load(ref float source) => new() { Low = Vector256.LoadUnsafe(ref source), High = Vector256.LoadUnsafe(ref source, 8) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Block256 value, ref float destination) { value.Low.StoreUnsafe(ref destination); value.High.StoreUnsafe(ref destination, 8); }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256 MultiplyAdd(float x, Block256 weights, Block256 accumulator)
    {
        var broadcast = Vector256.Create(x);
        return new() { Low = Vector256.MultiplyAddEstimate(broadcast, weights.Low, accumulator.Low), High = Vector256.MultiplyAddEstimate(broadcast, weights.High, accumulator.High) };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block256 MultiplyAdd(Block256 left, Block256 right, Block256 accumulator)
        => new() { Low = Vector256.MultiplyAddEstimate(left.Low, right.Low, accumulator.Low), High = Vector256.MultiplyAddEstimate(left.High, right.High, accumulator.High) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Block256 value) => Vector256.Sum(value.Low + value.High);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 Add(Block256 left, Block256 right) => new() { Low = left.Low + right.Low, High = left.High + right.High };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 Multiply(Block256 left, Block256 right) => new() { Low = left.Low * right.Low, High = left.High * right.High };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 Max(Block256 left, Block256 right) => new() { Low = Vector256.Max(left.Low, right.Low), High = Vector256.Max(left.High, right.High) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 Sqrt(Block256 value) => new() { Low = Vector256.Sqrt(value.Low), High = Vector256.Sqrt(value.High) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 Exp(Block256 value) => new() { Low = Vector256.Exp(value.Low), High = Vector256.Exp(value.High) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 Log(Block256 value) => new() { Low = Vector256.Log(value.Low), High = Vector256.Log(value.High) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 Divide(Block256 left, Block256 right) => new() { Low = left.Low / right.Low, High = left.High / right.High };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 GreaterThanZero(Block256 value) => new() { Low = Vector256.GreaterThan(value.Low, Vector256<float>.Zero), High = Vector256.GreaterThan(value.High, Vector256<float>.Zero) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 Select(Block256 mask, Block256 whenTrue, Block256 whenFalse) => new() { Low = Vector256.ConditionalSelect(mask.Low, whenTrue.Low, whenFalse.Low), High = Vector256.ConditionalSelect(mask.High, whenTrue.High, whenFalse.High) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 Equal(Block256 left, Block256 right) => new() { Low = Vector256.Equals(left.Low, right.Low), High = Vector256.Equals(left.High, right.High) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 And(Block256 left, Block256 right) => new() { Low = left.Low & right.Low, High = left.High & right.High };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 AndNot(Block256 left, Block256 right) => new() { Low = Vector256.AndNot(left.Low, right.Low), High = Vector256.AndNot(left.High, right.High) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block256 Or(Block256 left, Block256 right) => new() { Low = left.Low | right.Low, High = left.High | right.High };
}

/// <summary>16 channels as four 128-bit vectors: NEON (AdvSimd) on arm64, SSE on x64.</summary>
public struct Block128 : IChannelBlock<Block128>
{
    public Vector128<float> A, B, C, D;

    public static int RegistersPerBlock => 4;
    public static Block128 Zero { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => default; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block128 Broadcast(float value) { var v = Vector128.Create(value); return new() { A = v, B = v, C = v, D = v }; }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128 Load(ref float source)
        => new() { A = Vector128.LoadUnsafe(ref source), B = Vector128.LoadUnsafe(ref source, 4), C = Vector128.LoadUnsafe(ref source, 8), D = Vector128.LoadUnsafe(ref source, 12) };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Block128 value, ref float destination)
    {
        value.A.StoreUnsafe(ref destination);
        value.B.StoreUnsafe(ref destination, 4);
        value.C.StoreUnsafe(ref destination, 8);
        value.D.StoreUnsafe(ref destination, 12);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128 MultiplyAdd(float x, Block128 weights, Block128 accumulator)
    {
        var broadcast = Vector128.Create(x);
        return new()
        {
            A = Vector128.MultiplyAddEstimate(broadcast, weights.A, accumulator.A),
            B = Vector128.MultiplyAddEstimate(broadcast, weights.B, accumulator.B),
            C = Vector128.MultiplyAddEstimate(broadcast, weights.C, accumulator.C),
            D = Vector128.MultiplyAddEstimate(broadcast, weights.D, accumulator.D),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128 MultiplyAdd(Block128 l, Block128 r, Block128 accumulator) => new()
    {
        A = Vector128.MultiplyAddEstimate(l.A, r.A, accumulator.A),
        B = Vector128.MultiplyAddEstimate(l.B, r.B, accumulator.B),
        C = Vector128.MultiplyAddEstimate(l.C, r.C, accumulator.C),
        D = Vector128.MultiplyAddEstimate(l.D, r.D, accumulator.D),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Sum(Block128 v) => Vector128.Sum((v.A + v.B) + (v.C + v.D));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block128 Add(Block128 l, Block128 r) => new() { A = l.A + r.A, B = l.B + r.B, C = l.C + r.C, D = l.D + r.D };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block128 Multiply(Block128 l, Block128 r) => new() { A = l.A * r.A, B = l.B * r.B, C = l.C * r.C, D = l.D * r.D };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block128 Max(Block128 l, Block128 r) => new() { A = Vector128.Max(l.A, r.A), B = Vector128.Max(l.B, r.B), C = Vector128.Max(l.C, r.C), D = Vector128.Max(l.D, r.D) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block128 Sqrt(Block128 v) => new() { A = Vector128.Sqrt(v.A), B = Vector128.Sqrt(v.B), C = Vector128.Sqrt(v.C), D = Vector128.Sqrt(v.D) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block128 Exp(Block128 v) => new() { A = Vector128.Exp(v.A), B = Vector128.Exp(v.B), C = Vector128.Exp(v.C), D = Vector128.Exp(v.D) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block128 Log(Block128 v) => new() { A = Vector128.Log(v.A), B = Vector128.Log(v.B), C = Vector128.Log(v.C), D = Vector128.Log(v.D) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block128 Divide(Block128 l, Block128 r) => new() { A = l.A / r.A, B = l.B / r.B, C = l.C / r.C, D = l.D / r.D };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128 GreaterThanZero(Block128 v)
        => new() { A = Vector128.GreaterThan(v.A, Vector128<float>.Zero), B = Vector128.GreaterThan(v.B, Vector128<float>.Zero), C = Vector128.GreaterThan(v.C, Vector128<float>.Zero), D = Vector128.GreaterThan(v.D, Vector128<float>.Zero) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128 Select(Block128 m, Block128 t, Block128 f)
        => new() { A = Vector128.ConditionalSelect(m.A, t.A, f.A), B = Vector128.ConditionalSelect(m.B, t.B, f.B), C = Vector128.ConditionalSelect(m.C, t.C, f.C), D = Vector128.ConditionalSelect(m.D, t.D, f.D) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128 Equal(Block128 l, Block128 r)
        => new() { A = Vector128.Equals(l.A, r.A), B = Vector128.Equals(l.B, r.B), C = Vector128.Equals(l.C, r.C), D = Vector128.Equals(l.D, r.D) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block128 And(Block128 l, Block128 r) => new() { A = l.A & r.A, B = l.B & r.B, C = l.C & r.C, D = l.D & r.D };
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Block128 AndNot(Block128 l, Block128 r)
        => new() { A = Vector128.AndNot(l.A, r.A), B = Vector128.AndNot(l.B, r.B), C = Vector128.AndNot(l.C, r.C), D = Vector128.AndNot(l.D, r.D) };
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Block128 Or(Block128 l, Block128 r) => new() { A = l.A | r.A, B = l.B | r.B, C = l.C | r.C, D = l.D | r.D };
}

/// <summary>Which block type the drivers use on this machine; every branch on it is a JIT-time constant.</summary>
public static class Isa
{
    /// <summary>The instruction set the vectorized kernels run on here, for reports and tests.</summary>
    public static string Current =>
        Vector512.IsHardwareAccelerated ? "Vector512 (AVX-512)"
        : Vector256.IsHardwareAccelerated ? "Vector256 (AVX2)"
        : Vector128.IsHardwareAccelerated ? (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported ? "Vector128 (NEON)" : "Vector128 (SSE)")
        : "scalar";
}
