using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using InceptionGen.Kernels;
using Xunit;

namespace InceptionGen.Tests.Kernels;

/// <summary>
/// Which instruction set the vectorized kernels run on. CI runs the suite once per path (plain, and with
/// DOTNET_EnableAVX512=0, DOTNET_EnableAVX2=0, DOTNET_EnableHWIntrinsic=0, and under qemu on arm64) and
/// sets INCEPTIONGEN_EXPECTED_ISA, so a run that silently took another path than the one it was meant to
/// cover fails here instead of passing on the wrong kernels.
/// </summary>
public sealed class InstructionSetTests(ITestOutputHelper output)
{
    /// <summary>Values CI may put in <c>INCEPTIONGEN_EXPECTED_ISA</c>, each with the <see cref="Isa.Current"/> strings it accepts.</summary>
    private static readonly Dictionary<string, string[]> Expected = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Vector512"] = ["Vector512 (AVX-512)"],
        ["Vector256"] = ["Vector256 (AVX2)"],
        // Vector128 is the 128-bit path on either architecture; NEON insists on arm64.
        ["Vector128"] = ["Vector128 (SSE)", "Vector128 (NEON)"],
        ["NEON"] = ["Vector128 (NEON)"],
        ["scalar"] = ["scalar"],
    };

    private const string Variable = "INCEPTIONGEN_EXPECTED_ISA";

    [Fact]
    public void Active_instruction_set_is_reported()
    {
        output.WriteLine($"Active ISA: {Isa.Current} on {RuntimeInformation.ProcessArchitecture}; " +
            $"Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector128 {Vector128.IsHardwareAccelerated}; " +
            $"{Variable}={Environment.GetEnvironmentVariable(Variable) ?? "(unset)"}");
        Assert.Contains(Isa.Current, Expected.Values.SelectMany(names => names));
    }

    [Fact]
    public void Active_instruction_set_is_the_one_CI_expects()
    {
        var expected = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(expected))
        {
            output.WriteLine($"{Variable} is not set; active ISA: {Isa.Current}.");
            return;
        }

        Assert.True(Expected.TryGetValue(expected, out var accepted),
            $"{Variable}={expected} is not one of {string.Join(", ", Expected.Keys)}.");
        Assert.True(accepted.Contains(Isa.Current), $"{Variable}={expected}, but the kernels run on {Isa.Current}.");
        output.WriteLine($"Active ISA {Isa.Current}, as {Variable}={expected} expects.");
    }

    /// <summary>
    /// Every arm64 core .NET supports has AdvSimd; when it is off (qemu with a CPU model without it, or
    /// DOTNET_EnableHWIntrinsic=0 left over) the arm64 run would test the scalar fallback and not NEON.
    /// </summary>
    [Fact]
    public void Arm64_runs_on_NEON()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.Arm64)
        {
            output.WriteLine($"Not arm64 ({RuntimeInformation.ProcessArchitecture}); nothing to check.");
            return;
        }

        Assert.True(System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported, "arm64 without AdvSimd: the NEON kernels are not being tested.");
        Assert.True(Vector128.IsHardwareAccelerated, "arm64 with Vector128 not accelerated: the NEON kernels are not being tested.");
        Assert.Equal("Vector128 (NEON)", Isa.Current);
    }
}
