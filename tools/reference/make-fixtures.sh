#!/usr/bin/env bash
# Regenerates Tests/Interop/Fixtures/SmallInceptionNet: our side writes the case (weights with the graph, images,
# labels, our dropout keep masks), then PyTorch (Debian's /usr/bin/python3 with python3-torch) writes reference/.
# Run it after a change to SmallInceptionNet, its initialization or the dropout masks, and commit the result.
set -euo pipefail
cd "$(dirname "$0")/../.."
fixtures=Tests/Interop/Fixtures/SmallInceptionNet
rm -rf "$fixtures"
mkdir -p "$fixtures"
dotnet build Tests -c Release --nologo -v quiet
INCEPTIONGEN_WRITE_FIXTURES="$PWD/$fixtures" dotnet Tests/bin/Release/net10.0/InceptionGen.Tests.dll \
  -method 'InceptionGen.Tests.Interop.PyTorchAgreementTests.WriteSmallInceptionNetFixtures' -noColor
/usr/bin/python3 tools/reference/reference.py --weights "$fixtures/weights.safetensors" --input "$fixtures/input.npy" \
  --labels "$fixtures/labels.npy" --masks "$fixtures/masks" --output "$fixtures/reference"
ls -l "$fixtures" "$fixtures/masks" "$fixtures/reference"
