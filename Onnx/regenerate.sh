#!/bin/sh
# Regenerates Generated/Onnx.cs from Proto/onnx.proto with protoc from the Google.Protobuf.Tools NuGet package
# (the version must match the Google.Protobuf runtime in InceptionGen.Onnx.csproj). Run it after replacing
# Proto/onnx.proto (ONNX 1.12's, Apache-2.0, from Debian's python3-onnx: /usr/lib/python3/dist-packages/onnx/onnx.proto).
set -eu
cd "$(dirname "$0")"
dotnet restore InceptionGen.Onnx.csproj >/dev/null
protoc="${NUGET_PACKAGES:-$HOME/.nuget/packages}/google.protobuf.tools/3.36.2/tools/linux_x64/protoc"
chmod +x "$protoc"
mkdir -p Generated
"$protoc" --proto_path=Proto --csharp_out=Generated Proto/onnx.proto
echo "wrote Generated/Onnx.cs"
