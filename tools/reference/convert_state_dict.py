#!/usr/bin/python3
"""A PyTorch state_dict (.pth / .pt) as a safetensors file, with the same tensor names, shapes, layouts and dtypes.

    /usr/bin/python3 tools/reference/convert_state_dict.py MODEL.pth OUT.safetensors [--strip-prefix module.]
        [--float32] [--metadata KEY=VALUE ...]

The input is a state_dict (name -> tensor), or a training checkpoint dict holding one under 'state_dict' or 'model'
(the two keys torchvision's and most training scripts use). It is read with
torch.load(path, map_location='cpu', weights_only=True): torch's restricted unpickler, which builds only tensors and
plain containers and refuses any other object, so converting a downloaded file cannot run code from it. A plain
unpickle (torch.load without weights_only, pickle.load) is never used.

torch 1.13's (Debian's) weights_only loader reads tensors, dicts, lists, tuples, ints, strings, booleans and None, but
not Python floats: a checkpoint holding a learning rate or an accuracy is refused, saying so; save model.state_dict().

Every entry must be a tensor; anything else (a step counter, an optimizer state, a nested dict) is refused with its
name, instead of being dropped silently. --strip-prefix removes a prefix from every name that has it (DataParallel's
'module.'). Tensors keep their dtype (BatchNorm's num_batches_tracked stays I64), unless --float32 turns floating
tensors into F32; integer tensors are never converted. Non-contiguous tensors are written in their logical (row-major)
order, which is PyTorch's canonical layout: OIHW for convolutions, [out, in] for Linear.

The file is written by inceptiongen_torch.write_safetensors (no `safetensors` package is needed): names in sorted
order, data contiguous, little-endian, the JSON header padded to 8 bytes, which is what InceptionGen's SafeTensorsFile
reads (Tests/Interop/ConvertStateDictTests checks the round trip from a torch.save file).
Exit codes: 0 written, 2 bad input (one 'error:' line on stderr).
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inceptiongen_torch  # noqa: E402

CHECKPOINT_KEYS = ("state_dict", "model")


class ConversionError(Exception):
    """Input that is not a state_dict of tensors; the message names the offending entry."""


def load_state_dict(path):
    """The name -> tensor dict in a .pth file (a state_dict, or a checkpoint dict holding one), loaded safely."""
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exception:  # torch raises UnpicklingError, RuntimeError or OSError, depending on the problem
        message = str(exception)
        # torch's message suggests weights_only=False; what matters is the object it refused, after "WeightsUnpickler error:".
        reason = message.split("WeightsUnpickler error:", 1)[1].strip() if "WeightsUnpickler error:" in message else message.splitlines()[0]
        if "Unsupported operand 71" in reason:  # pickle's BINFLOAT, which torch 1.13's weights_only loader lacks (2.0 has it)
            reason += (" (a Python float, such as a learning rate or an accuracy in a checkpoint: this torch's weights_only"
                       " loader cannot read floats; save model.state_dict() on its own)")
        raise ConversionError(f"{path}: torch.load(weights_only=True) refused it: {reason}") from exception
    if not isinstance(loaded, dict):
        raise ConversionError(f"{path}: holds a {type(loaded).__name__}, not a state_dict (a dict of tensors)")
    if not any(isinstance(v, torch.Tensor) for v in loaded.values()):
        for key in CHECKPOINT_KEYS:
            if isinstance(loaded.get(key), dict):
                loaded = loaded[key]
                break
        else:
            raise ConversionError(f"{path}: has no tensors at the top level and no {' or '.join(repr(k) for k in CHECKPOINT_KEYS)} "
                                  f"state_dict; its keys are {sorted(map(str, loaded))[:10]}")
    others = [f"{name!r} ({type(value).__name__})" for name, value in loaded.items() if not isinstance(value, torch.Tensor)]
    if others:
        raise ConversionError(f"{path}: the state_dict has {len(others)} entries that are not tensors: {', '.join(others[:5])}"
                              + (" ..." if len(others) > 5 else ""))
    return dict(loaded)


def convert(tensors, strip_prefix=None, float32=False):
    """The tensors to write: names without the prefix, floating dtypes optionally as float32."""
    result = {}
    for name, tensor in tensors.items():
        if not isinstance(name, str):
            raise ConversionError(f"the state_dict has a key that is not a string: {name!r}")
        if strip_prefix and name.startswith(strip_prefix):
            name = name[len(strip_prefix):]
        if name in result:
            raise ConversionError(f"two tensors are named {name!r} after stripping {strip_prefix!r}")
        if float32 and tensor.is_floating_point():
            tensor = tensor.to(torch.float32)
        result[name] = tensor
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="a .pth/.pt state_dict or checkpoint")
    parser.add_argument("output", help="the .safetensors file to write")
    parser.add_argument("--strip-prefix", help="remove this prefix from every tensor name that has it (e.g. 'module.')")
    parser.add_argument("--float32", action="store_true", help="write floating tensors as F32")
    parser.add_argument("--metadata", action="append", default=[], metavar="KEY=VALUE", help="a __metadata__ entry (repeatable)")
    args = parser.parse_args(argv)
    try:
        metadata = {}
        for item in args.metadata:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise ConversionError(f"--metadata {item!r} is not KEY=VALUE")
            metadata[key] = value
        tensors = convert(load_state_dict(args.input), args.strip_prefix, args.float32)
        inceptiongen_torch.write_safetensors(args.output, tensors, metadata, keep_dtypes=True)
    except (ConversionError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    count = sum(t.numel() for t in tensors.values())
    print(f"{args.output}: {len(tensors)} tensors, {count} values, from {args.input}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
