using System.Diagnostics;
using System.Runtime.CompilerServices;
using InceptionGen.Definitions;
using InceptionGen.Tests.Reference;
using Xunit;


namespace InceptionGen.Tests.Network;

/// <summary>
/// One batch of two random images through the generated GoogLeNet and through <see cref="ReferenceGoogLeNet"/>,
/// computed once for the tests of <see cref="GoogLeNetForwardTests"/>: each is about 1.6 G multiply-adds
/// per image of scalar code.
/// </summary>
public sealed class GoogLeNetRun
{
    public const ulong Seed = 7;
    public const int Batch = 2;

    public GoogLeNetRun()
    {
        Net = new GoogLeNet(maxBatch: Batch, seed: Seed);
        Differential.RandomizeBiases(Net.Parameters, seed: 101);
        Input = Differential.RandomInput(seed: 102, Batch * GoogLeNet.InputLength);
        Output = new float[Batch * GoogLeNet.OutputLength];

        var clock = Stopwatch.StartNew();
        Net.Forward(Input, Output, Batch);
        ForwardTime = clock.Elapsed;

        // The reference only reads the parameters, so its images can run on two cores.
        clock.Restart();
        var reference = new float[Batch][];
        Parallel.For(0, Batch, image => reference[image] = ReferenceGoogLeNet.Forward(Net, Differential.Row(Input, image, GoogLeNet.InputLength)));
        Reference = reference;
        ReferenceTime = clock.Elapsed;
    }

    public GoogLeNet Net { get; }
    public float[] Input { get; }
    public float[] Output { get; }
    public float[][] Reference { get; }
    public TimeSpan ForwardTime { get; }
    public TimeSpan ReferenceTime { get; }

    public ReadOnlySpan<float> OutputRow(int image) => Output.AsSpan(image * GoogLeNet.OutputLength, GoogLeNet.OutputLength);
}

public sealed class GoogLeNetForwardTests(GoogLeNetRun run, ITestOutputHelper output) : IClassFixture<GoogLeNetRun>
{
    /// <summary>
    /// The generated forward pass equals the reference on each image, within 1e-4 of the largest logit.
    /// Both read the same parameters; the generated kernels sum in float, the reference in double and
    /// rounds each layer to float.
    /// </summary>
    [Fact]
    public void ForwardMatchesTheReferenceOnEachImage()
    {
        output.WriteLine($"GoogLeNet batch {GoogLeNetRun.Batch}: generated forward {run.ForwardTime.TotalSeconds:F1} s, reference {run.ReferenceTime.TotalSeconds:F1} s");
        Assert.Equal(1000, GoogLeNet.OutputLength);
        for (var image = 0; image < GoogLeNetRun.Batch; image++)
        {
            var relative = Differential.AssertClose(run.OutputRow(image), run.Reference[image], $"GoogLeNet image {image}");
            output.WriteLine($"image {image}: max |logit| {run.Reference[image].Max(value => Math.Abs(value)):G4}, relative error {relative:G3}");
        }
    }

    [Fact]
    public void SoftmaxOfEachRowIsFiniteAndSumsToOne()
    {
        for (var image = 0; image < GoogLeNetRun.Batch; image++)
        {
            var logits = run.OutputRow(image).ToArray();
            Assert.All(logits, logit => Assert.True(float.IsFinite(logit), $"image {image}: logit {logit} is not finite"));
            var probabilities = NchwReference.Softmax(logits);
            Assert.All(probabilities, p => Assert.True(float.IsFinite(p) && p >= 0, $"image {image}: probability {p}"));
            var sum = probabilities.Sum(p => (double)p);
            Assert.True(Math.Abs(sum - 1) <= 1e-5, $"image {image}: the probabilities sum to {sum:G9}");
        }
    }

    /// <summary>
    /// The two images' logits differ by far more than the comparison allows, so a batch mix-up (an image
    /// read or written at the other's offset) fails <see cref="ForwardMatchesTheReferenceOnEachImage"/>.
    /// </summary>
    [Fact]
    public void TheImagesOfTheBatchGiveClearlyDifferentLogits()
    {
        var (difference, scale, _) = Differential.Compare(run.Reference[1], run.Reference[0]);
        Assert.True(difference > 100 * Differential.RelativeTolerance * scale,
            $"The reference logits of the two images differ by at most {difference:G4} (max |logit| {scale:G4}): too little to catch a batch mix-up.");
        var (generatedDifference, generatedScale, _) = Differential.Compare(run.OutputRow(1), run.OutputRow(0));
        Assert.True(generatedDifference > 100 * Differential.RelativeTolerance * generatedScale,
            $"The generated logits of the two images differ by at most {generatedDifference:G4}.");
    }

    /// <summary>
    /// Arena offsets are planned per image and scaled by the batch, so a batch of one on a network built for
    /// two (its arena still holding the batch's activations) must give each row of the batch bit for bit.
    /// </summary>
    [Fact]
    public void BatchOfOneOnANetworkBuiltForTwoEqualsEachRowBitForBit()
    {
        var single = new float[GoogLeNet.OutputLength];
        for (var image = 0; image < GoogLeNetRun.Batch; image++)
        {
            single.AsSpan().Fill(float.NaN);
            run.Net.Forward(run.Input.AsSpan(image * GoogLeNet.InputLength, GoogLeNet.InputLength), single, batch: 1);
            Differential.AssertBitwiseEqual(run.OutputRow(image), single, $"GoogLeNet batch 1 of image {image}");
        }
    }
}

/// <summary>The two cs231n lecture modules against <see cref="ReferenceGoogLeNet"/>'s module, on NCHW output maps.</summary>
public sealed class LectureModuleForwardTests(ITestOutputHelper output)
{
    private const int Batch = 2;

    [Fact]
    public void NaiveModuleMatchesTheReference()
    {
        Assert.Equal(672, NaiveInceptionModule.OutputChannels);
        var net = new NaiveInceptionModule(maxBatch: Batch, seed: 7);
        Assert.Equal(new FeatureShape(672, 28, 28), net.Module.OutputShape);
        Differential.RandomizeBiases(net.Parameters, seed: 201);
        var input = Differential.RandomInput(seed: 202, Batch * NaiveInceptionModule.InputLength);
        var result = new float[Batch * NaiveInceptionModule.OutputLength];
        var clock = Stopwatch.StartNew();
        net.Forward(input, result, Batch);
        var forwardTime = clock.Elapsed;
        clock.Restart();
        for (var image = 0; image < Batch; image++)
        {
            var reference = ReferenceGoogLeNet.Forward(net, Differential.Row(input, image, NaiveInceptionModule.InputLength));
            Assert.Equal(new FeatureShape(672, 28, 28), reference.Shape);
            Differential.AssertClose(result.AsSpan(image * NaiveInceptionModule.OutputLength, NaiveInceptionModule.OutputLength), reference.Values, $"naive module image {image}");
        }

        output.WriteLine($"naive module batch {Batch}: generated forward {forwardTime.TotalSeconds:F1} s, reference {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void BottleneckModuleMatchesTheReference()
    {
        Assert.Equal(480, BottleneckInceptionModule.OutputChannels);
        var net = new BottleneckInceptionModule(maxBatch: Batch, seed: 7);
        Assert.Equal(new FeatureShape(480, 28, 28), net.Module.OutputShape);
        Differential.RandomizeBiases(net.Parameters, seed: 301);
        var input = Differential.RandomInput(seed: 302, Batch * BottleneckInceptionModule.InputLength);
        var result = new float[Batch * BottleneckInceptionModule.OutputLength];
        var clock = Stopwatch.StartNew();
        net.Forward(input, result, Batch);
        var forwardTime = clock.Elapsed;
        clock.Restart();
        for (var image = 0; image < Batch; image++)
        {
            var reference = ReferenceGoogLeNet.Forward(net, Differential.Row(input, image, BottleneckInceptionModule.InputLength));
            Assert.Equal(new FeatureShape(480, 28, 28), reference.Shape);
            Differential.AssertClose(result.AsSpan(image * BottleneckInceptionModule.OutputLength, BottleneckInceptionModule.OutputLength), reference.Values, $"bottleneck module image {image}");
        }

        output.WriteLine($"bottleneck module batch {Batch}: generated forward {forwardTime.TotalSeconds:F1} s, reference {clock.Elapsed.TotalSeconds:F1} s");
    }
}

/// <summary>Forward rejects a bad batch or short spans with an ArgumentException that names the sizes.</summary>
public sealed class ForwardArgumentTests
{
    private const int MaxBatch = 2;
    private readonly BottleneckInceptionModule _net = new(maxBatch: MaxBatch, seed: 7);
    private readonly float[] _input = new float[MaxBatch * BottleneckInceptionModule.InputLength];
    private readonly float[] _output = new float[MaxBatch * BottleneckInceptionModule.OutputLength];

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void BatchBelowOneThrows(int batch)
    {
        var exception = Assert.ThrowsAny<ArgumentException>(() => _net.Forward(_input, _output, batch));
        Assert.Equal("batch", exception.ParamName);
        Assert.Contains($"'{batch}'", exception.Message);
        Assert.Contains("'1'", exception.Message);
    }

    [Fact]
    public void BatchAboveMaxBatchThrows()
    {
        var exception = Assert.ThrowsAny<ArgumentException>(() => _net.Forward(_input, _output, MaxBatch + 1));
        Assert.Equal("batch", exception.ParamName);
        Assert.Contains($"'{MaxBatch + 1}'", exception.Message);
        Assert.Contains($"'{MaxBatch}'", exception.Message);
    }

    [Fact]
    public void ShortInputThrows()
    {
        var length = MaxBatch * BottleneckInceptionModule.InputLength - 1;
        var exception = Assert.ThrowsAny<ArgumentException>(() => _net.Forward(_input.AsSpan(0, length), _output, MaxBatch));
        Assert.Equal("input", exception.ParamName);
        Assert.Contains(length.ToString(), exception.Message);
        Assert.Contains((MaxBatch * BottleneckInceptionModule.InputLength).ToString(), exception.Message);
    }

    [Fact]
    public void ShortOutputThrows()
    {
        var length = MaxBatch * BottleneckInceptionModule.OutputLength - 1;
        var exception = Assert.ThrowsAny<ArgumentException>(() => _net.Forward(_input, _output.AsSpan(0, length), MaxBatch));
        Assert.Equal("output", exception.ParamName);
        Assert.Contains(length.ToString(), exception.Message);
        Assert.Contains((MaxBatch * BottleneckInceptionModule.OutputLength).ToString(), exception.Message);
    }

    /// <summary>The control: spans of exactly the needed length for a smaller batch are accepted.</summary>
    [Fact]
    public void ExactSpansForASmallerBatchAreAccepted()
    {
        _net.Forward(_input.AsSpan(0, BottleneckInceptionModule.InputLength), _output.AsSpan(0, BottleneckInceptionModule.OutputLength), 1);
    }
}

/// <summary>Parameters: deterministic from the seed, and laid out on 64-byte boundaries.</summary>
public sealed class ParameterBlockTests
{
    [Fact]
    public void TheSameSeedGivesIdenticalParameters()
    {
        var first = new GoogLeNet(maxBatch: 1, seed: 7);
        var second = new GoogLeNet(maxBatch: 1, seed: 7);
        foreach (var tensor in GoogLeNet.ParameterTensors.Where(tensor => tensor.Role == ParameterRole.Weight))
        {
            Assert.True(first.Parameters[tensor].ContainsAnyExcept(0f), $"{tensor.Name} was not initialized.");
        }

        Differential.AssertBitwiseEqual(first.Parameters.ReadOnlySpan, second.Parameters.ReadOnlySpan, "parameter blocks of two networks with seed 7");
    }

    [Fact]
    public void DifferentSeedsGiveDifferentWeightsInEveryTensor()
    {
        var first = new GoogLeNet(maxBatch: 1, seed: 7);
        var second = new GoogLeNet(maxBatch: 1, seed: 8);
        foreach (var tensor in GoogLeNet.ParameterTensors.Where(tensor => tensor.Role == ParameterRole.Weight))
        {
            Assert.False(first.Parameters[tensor].SequenceEqual(second.Parameters[tensor]), $"{tensor.Name} is the same for seeds 7 and 8.");
        }
    }

    public static TheoryData<string> Networks => new() { nameof(GoogLeNet), nameof(NaiveInceptionModule), nameof(BottleneckInceptionModule), nameof(SmallInceptionNet), nameof(SmallGappedNet) };

    /// <summary>Every tensor starts on a multiple of 16 floats, in block order, without overlap, inside the block; the block's first float is 64-byte aligned.</summary>
    [Theory]
    [MemberData(nameof(Networks))]
    public unsafe void TensorsAreAlignedInsideTheBlock(string network)
    {
        var (tensors, blockLength, parameters) = network switch
        {
            nameof(GoogLeNet) => (GoogLeNet.ParameterTensors, GoogLeNet.ParameterBlockLength, new GoogLeNet().Parameters),
            nameof(NaiveInceptionModule) => (NaiveInceptionModule.ParameterTensors, NaiveInceptionModule.ParameterBlockLength, new NaiveInceptionModule().Parameters),
            nameof(BottleneckInceptionModule) => (BottleneckInceptionModule.ParameterTensors, BottleneckInceptionModule.ParameterBlockLength, new BottleneckInceptionModule().Parameters),
            nameof(SmallInceptionNet) => (SmallInceptionNet.ParameterTensors, SmallInceptionNet.ParameterBlockLength, new SmallInceptionNet().Parameters),
            nameof(SmallGappedNet) => (SmallGappedNet.ParameterTensors, SmallGappedNet.ParameterBlockLength, new SmallGappedNet().Parameters),
            _ => throw new ArgumentOutOfRangeException(nameof(network)),
        };

        Assert.NotEmpty(tensors);
        var end = 0;
        foreach (var tensor in tensors)
        {
            Assert.True(tensor.Offset % 16 == 0, $"{network}: {tensor.Name} starts at {tensor.Offset}, not a multiple of 16 floats.");
            Assert.True(tensor.Offset >= end, $"{network}: {tensor.Name} starts at {tensor.Offset}, inside the previous tensor (which ends at {end}).");
            end = tensor.Offset + tensor.Length;
        }

        Assert.True(end <= blockLength, $"{network}: the last tensor ends at {end}, past the block's {blockLength} floats.");
        Assert.Equal(blockLength, parameters.Length);
        var address = (nuint)Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(parameters.ReadOnlySpan));
        Assert.True(address % 64 == 0, $"{network}: the parameter block starts at 0x{address:X}, not on a 64-byte boundary.");
    }
}

/// <summary>The small networks of SmallNets.cs, generated in this project, against their hand-written references.</summary>
public sealed class SmallNetForwardTests
{
    private const int Batch = 2;

    [Fact]
    public void SmallInceptionNetMatchesTheReference()
    {
        Assert.Equal(5, SmallInceptionNet.OutputLength);
        var net = new SmallInceptionNet(maxBatch: Batch, seed: 7);
        Differential.RandomizeBiases(net.Parameters, seed: 401);
        var input = Differential.RandomInput(seed: 402, Batch * SmallInceptionNet.InputLength);
        var result = new float[Batch * SmallInceptionNet.OutputLength];
        net.Forward(input, result, Batch);
        for (var image = 0; image < Batch; image++)
        {
            var reference = SmallNetReference.Forward(net, Differential.Row(input, image, SmallInceptionNet.InputLength));
            Differential.AssertClose(result.AsSpan(image * SmallInceptionNet.OutputLength, SmallInceptionNet.OutputLength), reference, $"SmallInceptionNet image {image}");
        }
    }

    [Fact]
    public void SmallGappedNetMatchesTheReference()
    {
        Assert.Equal(4, SmallGappedNet.OutputLength);
        var net = new SmallGappedNet(maxBatch: Batch, seed: 7);
        Differential.RandomizeBiases(net.Parameters, seed: 501);
        var input = Differential.RandomInput(seed: 502, Batch * SmallGappedNet.InputLength);
        var result = new float[Batch * SmallGappedNet.OutputLength];
        net.Forward(input, result, Batch);
        for (var image = 0; image < Batch; image++)
        {
            var reference = SmallNetReference.Forward(net, Differential.Row(input, image, SmallGappedNet.InputLength));
            Differential.AssertClose(result.AsSpan(image * SmallGappedNet.OutputLength, SmallGappedNet.OutputLength), reference, $"SmallGappedNet image {image}");
        }
    }

    [Fact]
    public void BatchOfOneEqualsEachRowBitForBit()
    {
        var net = new SmallInceptionNet(maxBatch: Batch, seed: 7);
        Differential.RandomizeBiases(net.Parameters, seed: 403);
        var input = Differential.RandomInput(seed: 404, Batch * SmallInceptionNet.InputLength);
        var batch = new float[Batch * SmallInceptionNet.OutputLength];
        net.Forward(input, batch, Batch);
        var single = new float[SmallInceptionNet.OutputLength];
        for (var image = 0; image < Batch; image++)
        {
            single.AsSpan().Fill(float.NaN);
            net.Forward(input.AsSpan(image * SmallInceptionNet.InputLength, SmallInceptionNet.InputLength), single, batch: 1);
            Differential.AssertBitwiseEqual(batch.AsSpan(image * SmallInceptionNet.OutputLength, SmallInceptionNet.OutputLength), single, $"SmallInceptionNet batch 1 of image {image}");
        }
    }
}

/// <summary>Forward allocates nothing on any thread of the process (the worker pool's included) once the network exists.</summary>
[Collection(AllocationCollection.Name)]
public sealed class ForwardAllocationTests
{
    private const int Batch = 2;

    /// <summary>Forward allocates nothing once the network exists: the second call (the first one JITs) allocates 0 bytes.</summary>
    [Fact]
    public void ForwardAllocatesNothingAfterConstruction()
    {
        var net = new BottleneckInceptionModule(maxBatch: Batch, seed: 7);
        var input = Differential.RandomInput(seed: 303, Batch * BottleneckInceptionModule.InputLength);
        var result = new float[Batch * BottleneckInceptionModule.OutputLength];
        net.Forward(input, result, Batch);

        var allocated = Allocations.Measure(() => net.Forward(input, result, Batch));

        Assert.Equal(0, allocated);
    }

    /// <summary>The channel maps of gapped tensors are static spans over constant data, so they allocate nothing either.</summary>
    [Fact]
    public void ForwardWithChannelMapsAllocatesNothing()
    {
        var net = new SmallGappedNet(maxBatch: Batch, seed: 7);
        var input = Differential.RandomInput(seed: 503, Batch * SmallGappedNet.InputLength);
        var result = new float[Batch * SmallGappedNet.OutputLength];
        net.Forward(input, result, Batch);

        var allocated = Allocations.Measure(() => net.Forward(input, result, Batch));

        Assert.Equal(0, allocated);
    }
}
