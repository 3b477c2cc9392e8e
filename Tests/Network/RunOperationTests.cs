using InceptionGen.Definitions;
using Xunit;

namespace InceptionGen.Tests.Network;

/// <summary>
/// <c>RunOperation</c>, which the per-op benchmark times one op at a time with: it runs every op of the inference
/// pass that runs on the pool, and refuses, with a reason, the ones that cannot run alone.
/// </summary>
public sealed class RunOperationTests
{
    [Fact]
    public void EveryPoolOpOfTheInferencePassRunsAloneAndTheOthersAreRefused()
    {
        var network = new GoogLeNet(maxBatch: 1, seed: 2);
        var input = new float[GoogLeNet.InputLength];
        var logits = new float[GoogLeNet.OutputLength];
        Assert.Throws<InvalidOperationException>(() => network.RunOperation(2));
        network.Forward(input, logits, 1);

        var ran = 0;
        for (var index = 0; index < GoogLeNet.Operations.Count; index++)
        {
            var operation = GoogLeNet.Operations[index];
            // The caller's spans (input, output) and the auxiliary heads.
            var refused = operation.Name is "Input" or "Output" || operation.TrainingOnly;
            if (refused)
            {
                var error = Assert.Throws<ArgumentOutOfRangeException>(() => network.RunOperation(index));
                Assert.Equal("operation", error.ParamName);
            }
            else
            {
                network.RunOperation(index);
                ran++;
            }
        }

        // Of GoogLeNet's 108 ops, 93 are inference ops on the pool: the input layout writes conv1's padded map itself.
        Assert.Equal(93, ran);
        Assert.DoesNotContain(GoogLeNet.Operations, operation => operation.Description.StartsWith("zero border", StringComparison.Ordinal) && operation.Name == "Conv1");
        Assert.Throws<ArgumentOutOfRangeException>(() => network.RunOperation(GoogLeNet.Operations.Count));
    }
}
