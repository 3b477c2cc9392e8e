using System.Reflection;
using InceptionGen.Definitions;
using InceptionGen.Tests.Network;
using Xunit;

namespace InceptionGen.Tests.Training;

/// <summary>
/// The activation gradients cover the training memory's tensors only: the padded output gradients of the input-gradient
/// convolutions (scratch slots) and the dropout masks live in the activations, so the gradient buffer leaves them out and
/// the per-pass clear (one of the peers' wins in issue 14: clearing gradients is most of a step's time outside the ops)
/// touches about a fifth less memory for GoogLeNet. The gradient checks elsewhere show nothing reads past it.
/// </summary>
public sealed class GradientMemoryTests(ITestOutputHelper output)
{
    private static int GradientLengthPerImage(Type network)
        => (int)network.GetField("__TrainingGradientLengthPerImage", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;

    [Fact]
    public void Googlenets_activation_gradients_leave_out_the_scratch_slots_and_masks()
    {
        var gradients = GradientLengthPerImage(typeof(GoogLeNet));
        // Conv2's padded output gradient alone (12 blocks of 60x60) is 691,200 floats per image.
        Assert.True(gradients <= GoogLeNet.TrainingLengthPerImage - 691_200, $"{gradients} of {GoogLeNet.TrainingLengthPerImage} floats per image");
        output.WriteLine($"GoogLeNet: activation gradients {gradients:N0} of {GoogLeNet.TrainingLengthPerImage:N0} training floats per image ({1 - (double)gradients / GoogLeNet.TrainingLengthPerImage:P0} less to clear)");
    }

    [Fact]
    public void The_gradient_buffer_a_training_step_uses_is_that_long()
    {
        var network = new SmallInceptionNet(maxBatch: 2, seed: 1);
        network.Backward(Differential.RandomInput(seed: 2, 2 * SmallInceptionNet.InputLength), [0, 1], 2);
        var buffer = (AlignedBuffer)typeof(SmallInceptionNet).GetField("__activationGradients", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(network)!;
        var perImage = GradientLengthPerImage(typeof(SmallInceptionNet));
        Assert.True(perImage < SmallInceptionNet.TrainingLengthPerImage, $"{perImage} of {SmallInceptionNet.TrainingLengthPerImage} floats per image");
        Assert.Equal(perImage * SmallInceptionNet.Schedule.TrainingImagesPerPass, buffer.Length);
    }
}
