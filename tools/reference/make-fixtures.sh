#!/usr/bin/env bash
# Regenerates Tests/Interop/Fixtures/SmallInceptionNet and RectangularNet: our side writes each case (weights with the graph, images,
# labels, our dropout keep masks), then PyTorch (Debian's /usr/bin/python3 with python3-torch) writes reference/.
# Run it after a change to SmallInceptionNet or RectangularNet, their initialization or the dropout masks, and commit the result.
set -euo pipefail
cd "$(dirname "$0")/../.."
fixtures=Tests/Interop/Fixtures/SmallInceptionNet
rectangular=Tests/Interop/Fixtures/RectangularNet
adaptive=Tests/Interop/Fixtures/AdaptiveNet
rm -rf "$fixtures" "$rectangular" "$adaptive"
mkdir -p "$fixtures" "$rectangular" "$adaptive"
dotnet build Tests -c Release --nologo -v quiet
INCEPTIONGEN_WRITE_FIXTURES="$PWD/$fixtures" dotnet Tests/bin/Release/net10.0/InceptionGen.Tests.dll \
  -method 'InceptionGen.Tests.Interop.PyTorchAgreementTests.WriteSmallInceptionNetFixtures' -noColor
INCEPTIONGEN_WRITE_FIXTURES="$PWD/$rectangular" dotnet Tests/bin/Release/net10.0/InceptionGen.Tests.dll \
  -method 'InceptionGen.Tests.Interop.PyTorchAgreementTests.WriteRectangularNetFixtures' -noColor
INCEPTIONGEN_WRITE_FIXTURES="$PWD/$adaptive" dotnet Tests/bin/Release/net10.0/InceptionGen.Tests.dll \
  -method 'InceptionGen.Tests.Interop.PyTorchAgreementTests.WriteAdaptiveNetFixtures' -noColor
for case in "$fixtures" "$rectangular" "$adaptive"; do
  /usr/bin/python3 tools/reference/reference.py --weights "$case/weights.safetensors" --input "$case/input.npy" \
    --labels "$case/labels.npy" --masks "$case/masks" --output "$case/reference"
  ls -l "$case" "$case/masks" "$case/reference"
done
