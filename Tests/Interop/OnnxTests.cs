using InceptionGen.Definitions;
using InceptionGen.Onnx;
using InceptionGen.Tests.Network;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Xunit;

namespace InceptionGen.Tests.Interop;

/// <summary>The ONNX export, run in ONNX Runtime (all graph optimizations on) against our own forward pass.</summary>
public sealed class OnnxTests
{
    private const int Batch = 2;

    public static TheoryData<string> Networks => ["GoogLeNet", "SmallInceptionNet", "SmallGappedNet", "FashionInception", "SmallBatchNormNet", "MapBatchNormNet", "RectangularNet", "UniformAdaptiveNet", "DeclaredInceptionNet", "FactorizedModuleNet", "ResidualModuleNet", "NestedModuleNet", "InceptionV3", "TorchvisionGoogLeNet"];

    internal static INetwork Create(string name, int maxBatch) => name switch
    {
        "GoogLeNet" => new GoogLeNet(maxBatch, seed: 11),
        "SmallInceptionNet" => new SmallInceptionNet(maxBatch, seed: 11),
        "SmallGappedNet" => new SmallGappedNet(maxBatch, seed: 11),
        "FashionInception" => new FashionInception(maxBatch, seed: 11),
        "SmallBatchNormNet" => WithBatchNormStatistics(new SmallBatchNormNet(maxBatch, seed: 11)),
        "MapBatchNormNet" => WithBatchNormStatistics(new MapBatchNormNet(maxBatch, seed: 11)),
        // 1x7 and 7x1 convolutions, a 3x1 max pool with stride 2x1, a 3x5 convolution with stride 2x1, a 1x3 average pool.
        "RectangularNet" => new InceptionGen.Tests.Training.RectangularNet(maxBatch, seed: 11),
        // An adaptive pool with uniform windows (14 to 7 rows, 14 to 2 columns), exported as AveragePool.
        "UniformAdaptiveNet" => new InceptionGen.Tests.Training.UniformAdaptiveNet(maxBatch, seed: 11),
        // Modules declared with the DSL: the 2014 module; 1x7/7x1 convolutions with BN, a stride-2 reduction with a pass-through pool.
        "DeclaredInceptionNet" => new InceptionGen.Tests.Modules.DeclaredInceptionNet(maxBatch, seed: 11),
        "FactorizedModuleNet" => WithBatchNormStatistics(new InceptionGen.Tests.Modules.FactorizedModuleNet(maxBatch, seed: 11)),
        // Residual sums (scale, ReLU, and one through channel maps) and nested modules, at the end of a branch and in its middle.
        "ResidualModuleNet" => new InceptionGen.Tests.Modules.ResidualModuleNet(maxBatch, seed: 11),
        "NestedModuleNet" => WithBatchNormStatistics(new InceptionGen.Tests.Modules.NestedModuleNet(maxBatch, seed: 11)),
        // Inception-v3 (torchvision's layout at 299x299): A/B/C/D/E modules, nested 1x3/3x1 splits, BN everywhere.
        "InceptionV3" => WithBatchNormStatistics(new InceptionV3(maxBatch, seed: 11)),
        // torchvision's GoogLeNet: BasicConv2d everywhere (BN folded by us, by ONNX Runtime itself), ceil-mode pools, the DSL's module.
        "TorchvisionGoogLeNet" => WithBatchNormStatistics(new TorchvisionGoogLeNet(maxBatch, seed: 11)),
        _ => throw new ArgumentException(name),
    };

    /// <summary>Random γ, β and running statistics, so that the BatchNormalization nodes are checked for every term.</summary>
    private static INetwork WithBatchNormStatistics(INetwork network)
    {
        BatchNormNetReference.Randomize(network.Parameters, 13);
        return network;
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void OnnxRuntimeComputesWhatForwardComputes(string name)
    {
        var network = Create(name, Batch);
        var input = new float[Batch * network.InputLength];
        var random = new Random(42);
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = (float)(random.NextDouble() * 2 - 1);
        }

        var expected = new float[Batch * network.OutputLength];
        network.Forward(input, expected, Batch);

        var actual = RunOnnx(OnnxExporter.ToBytes(network), input, network.Graph.Input);

        Assert.Equal(expected.Length, actual.Length);
        var scale = expected.Max(MathF.Abs);
        var worst = expected.Zip(actual, (e, a) => MathF.Abs(e - a)).Max();
        Assert.True(scale > 0, "the outputs are all zero, which compares nothing");
        Assert.True(worst <= 1e-4f * scale, $"{name}: max |ours − ORT| = {worst:G3}, largest output {scale:G3}");
    }

    [Fact]
    public void TheModelHasOnlyTheInferenceGraph()
    {
        var model = OnnxExporter.ToModel(new GoogLeNet(seed: 1));

        Assert.Equal(13, Assert.Single(model.OpsetImport).Version);
        var graph = model.Graph;
        Assert.Equal("input", Assert.Single(graph.Input).Name);
        Assert.Equal(["N", "3", "224", "224"], graph.Input[0].Type.TensorType.Shape.Dim.Select(d => d.DimParam.Length > 0 ? d.DimParam : d.DimValue.ToString()));
        Assert.Equal(["N", "1000"], graph.Output.Single(o => o.Name == "logits").Type.TensorType.Shape.Dim.Select(d => d.DimParam.Length > 0 ? d.DimParam : d.DimValue.ToString()));
        Assert.DoesNotContain(graph.Node, node => node.Name.StartsWith("aux", StringComparison.Ordinal) || node.OpType == "Dropout");
        Assert.DoesNotContain(graph.Initializer, tensor => tensor.Name.StartsWith("aux", StringComparison.Ordinal));
        // Every inference parameter is an initializer with its safetensors name and shape.
        var inference = GoogLeNet.ParameterTensors.Where(tensor => !tensor.Auxiliary).ToDictionary(tensor => InceptionGen.Interop.PyTorchNames.From(tensor.Name), tensor => tensor.Shape.Select(d => (long)d));
        Assert.Equal(inference.Keys.Order(), graph.Initializer.Select(tensor => tensor.Name).Order());
        Assert.All(graph.Initializer, tensor => Assert.Equal(inference[tensor.Name], tensor.Dims));
        Assert.Equal(57, graph.Node.Count(node => node.OpType == "Conv"));
        Assert.Equal(57, graph.Node.Count(node => node.OpType == "Relu"));
        var gemm = Assert.Single(graph.Node, node => node.OpType == "Gemm");
        Assert.Equal("logits", gemm.Output.Single());
        Assert.Equal(1, gemm.Attribute.Single(a => a.Name == "transB").I);
    }

    [Fact]
    public void ExportWritesTheFileAtomically()
    {
        using var directory = new TempDirectory();
        var path = directory.File("small.onnx");
        var network = new SmallGappedNet(seed: 2);

        OnnxExporter.Export(network, path);

        Assert.Equal(OnnxExporter.ToBytes(network), File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(directory.Path));
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        Assert.Equal("SmallGappedNet", model.Graph.Name);
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void OnnxsCheckerAcceptsTheModel(string name)
    {
        Python.RequireModules("onnx");
        using var directory = new TempDirectory();
        var path = directory.File(name + ".onnx");
        OnnxExporter.Export(Create(name, 1), path);

        var output = Python.RunChecked(["-c", "import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print('ok', m.opset_import[0].version)", path],
            TimeSpan.FromMinutes(2));

        Assert.Equal("ok 13", output.Trim());
    }

    /// <summary>Runs the model in ONNX Runtime with every graph optimization on; the logits, flattened.</summary>
    internal static float[] RunOnnx(byte[] model, float[] input, GraphInput shape)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 2 };
        using var session = new InferenceSession(model, options);
        var batch = input.Length / (shape.Channels * shape.Height * shape.Width);
        using var value = OrtValue.CreateTensorValueFromMemory(input, [batch, shape.Channels, shape.Height, shape.Width]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["input"], [value], ["logits"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
