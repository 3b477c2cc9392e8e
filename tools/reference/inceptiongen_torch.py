"""An InceptionGen network as a plain PyTorch module, built from the graph its weights file describes.

    model, graph = inceptiongen_torch.load("googlenet.safetensors")
    model.eval();  logits = model(x)                       # x: float32 NCHW
    model.train(); logits, aux_logits = model(x)           # aux_logits in graph["auxiliary_outputs"] order
    model.set_dropout_masks({"dropout": keep, ...})         # keep: 0/1 per element, shape (N, features)

The weights file is a safetensors file written by InceptionGen (`init`, or SafeTensors.Save of a network): its
`__metadata__` holds the graph JSON under "inceptiongen.graph" (format "inceptiongen.graph/1"). Only standard torch
ops are used (Conv2d, BatchNorm2d, ReLU, max/avg pooling with ceil_mode and count_include_pad, LocalResponseNorm, cat, adaptive
average pooling, Linear, dropout), and the weights load strictly: every tensor of the file, and nothing else.
Written for Debian's python3-torch 1.13; needs no safetensors package.
"""

import json
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

GRAPH_KEY = "inceptiongen.graph"
GRAPH_FORMAT = "inceptiongen.graph/1"
_MAX_HEADER = 100_000_000
_DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32}


def read_safetensors(path):
    """Returns (tensors by name, metadata dict) of a safetensors file, checking its header."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if n > _MAX_HEADER or 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} is too large or past the end of the file")
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + n:]
    tensors = {}
    for name, entry in header.items():
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {entry['dtype']}")
        begin, end = entry["data_offsets"]
        if not 0 <= begin <= end <= len(body):
            raise ValueError(f"{path}: tensor {name!r} has data offsets outside the file")
        shape = list(entry["shape"])
        count = 1
        for d in shape:
            count *= d
        if (end - begin) != count * torch.empty((), dtype=dtype).element_size():
            raise ValueError(f"{path}: tensor {name!r} has {end - begin} bytes for shape {shape}")
        # bytearray: a writable copy, so torch does not warn about (or alias) the file's bytes.
        tensors[name] = torch.frombuffer(bytearray(body[begin:end]), dtype=dtype).reshape(shape) if count else torch.empty(shape, dtype=dtype)
    return tensors, metadata


_SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
                       torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
                       torch.bool: "BOOL"}


def write_safetensors(path, tensors, metadata=None, keep_dtypes=False):
    """Writes tensors (name -> tensor) as a safetensors file, in name order, little-endian, contiguous, the header
    padded to 8 bytes: as float32, or with keep_dtypes each in its own dtype (any of _SAFETENSORS_DTYPES)."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        tensor = tensors[name].detach().contiguous().cpu()
        if not keep_dtypes:
            tensor = tensor.to(torch.float32)
        if tensor.dtype not in _SAFETENSORS_DTYPES:
            raise ValueError(f"tensor {name!r} has dtype {tensor.dtype}, which safetensors cannot hold here")
        # bfloat16 has no numpy type: its bytes are those of an int16 view. numpy writes native order; torch runs on
        # little-endian machines only (x64, arm64), as our reader does.
        raw = (tensor.view(torch.int16) if tensor.dtype == torch.bfloat16 else tensor).numpy().tobytes()
        header[name] = {"dtype": _SAFETENSORS_DTYPES[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


def _module_path(weight_name):
    """'inception3a.branch2_reduce.weight' -> 'inception3a.branch2_reduce'."""
    if not weight_name.endswith(".weight"):
        raise ValueError(f"weight name {weight_name!r} does not end in '.weight'")
    return weight_name[: -len(".weight")]


def _attach(root, dotted, module):
    """Puts module at root.<dotted>, creating empty containers on the way, so state_dict names are the file's."""
    parts = dotted.split(".")
    parent = root
    for part in parts[:-1]:
        if not hasattr(parent, part):
            parent.add_module(part, nn.Module())
        parent = getattr(parent, part)
    parent.add_module(parts[-1], module)


def _pair(value):
    """A kernel, stride or padding as (height, width): the graph writes one number when square, else [height, width]."""
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _geometry(node):
    """A node's kernel, stride and padding as (height, width) pairs."""
    return _pair(node["kernel"]), _pair(node["stride"]), _pair(node["padding"])


def _pooled(size, node, axis):
    """A pooled size along axis (0 height, 1 width) by PyTorch's rule: in ceil mode the last window must start inside
    the input or left padding."""
    k, s, p = (pair[axis] for pair in _geometry(node))
    if not node.get("ceil_mode"):
        return (size + 2 * p - k) // s + 1
    out = -(-(size + 2 * p - k) // s) + 1
    return out - 1 if (out - 1) * s >= size + p else out


class InceptionGenNet(nn.Module):
    """A network described by an inceptiongen.graph/1 JSON graph; see the module docstring."""

    def __init__(self, graph):
        super().__init__()
        if graph.get("format") != GRAPH_FORMAT:
            raise ValueError(f"graph format {graph.get('format')!r}; {GRAPH_FORMAT!r} is needed")
        self.graph = graph
        self.network = graph["network"]
        self.nodes = graph["nodes"]
        self.output_name = graph["output"]
        self.auxiliary = [(a["name"], float(a["loss_weight"])) for a in graph.get("auxiliary_outputs", [])]
        self._layers = {}           # node name -> nn.Module (Conv2d, BatchNorm2d, Linear, LocalResponseNorm)
        self._masks = {}            # dropout node name -> keep mask (0/1)
        inp = graph["input"]
        shapes = {inp["name"]: (inp["channels"], inp["height"], inp["width"])}  # (C, H, W), or (features,) for vectors
        for node in self.nodes:
            op, name = node["op"], node["name"]
            for source in node["inputs"]:
                if source not in shapes:
                    raise ValueError(f"node {name!r} reads {source!r}, which no earlier node writes")
            shape = shapes[node["inputs"][0]]
            if op == "Conv":
                k, s, p = _geometry(node)
                conv = nn.Conv2d(shape[0], node["out_channels"], k, s, p, bias=node.get("bias") is not None)
                self._attach_layer(node, conv)
                shape = (node["out_channels"],) + tuple((shape[1 + a] + 2 * p[a] - k[a]) // s[a] + 1 for a in (0, 1))
            elif op in ("MaxPool", "AvgPool"):
                shape = (shape[0],) + tuple(_pooled(shape[1 + a], node, a) for a in (0, 1))
            elif op == "GlobalAveragePool":
                shape = (shape[0], 1, 1)
            elif op == "BatchNorm":
                self._attach_layer(node, nn.BatchNorm2d(shape[0], eps=node["eps"], momentum=node["momentum"]))
            elif op == "AdaptiveAvgPool":
                shape = (shape[0],) + _pair(node["output_size"])
            elif op == "LRN":
                self._layers[name] = nn.LocalResponseNorm(node["size"], alpha=node["alpha"], beta=node["beta"], k=node["k"])
            elif op == "Concat":
                parts = [shapes[i] for i in node["inputs"]]
                if any(part[1:] != shape[1:] for part in parts):
                    raise ValueError(f"concat {name!r} joins maps of different sizes: {parts}")
                shape = (sum(part[0] for part in parts),) + shape[1:]
            elif op in ("Flatten", "Linear"):
                flat = 1
                for d in shape:
                    flat *= d
                shape = (flat,)
                if op == "Linear":
                    self._attach_layer(node, nn.Linear(flat, node["out_features"], bias=node.get("bias") is not None))
                    shape = (node["out_features"],)
            elif op != "Dropout":
                raise ValueError(f"node {name!r} has unknown op {op!r}")
            shapes[node["output"]] = shape
        self.shapes = shapes

    def _attach_layer(self, node, layer):
        path = _module_path(node["weight"])
        if node.get("bias") is not None and node["bias"] != path + ".bias":
            raise ValueError(f"node {node['name']!r}: bias {node['bias']!r} does not sit beside weight {node['weight']!r}")
        _attach(self, path, layer)
        self._layers[node["name"]] = layer

    def set_dropout_masks(self, masks):
        """Keep masks per dropout node name (0 = dropped, 1 = kept; shape of that node's input), or None to draw
        them at random again. Kept values are scaled by 1/(1 - p) (inverted dropout), as F.dropout does."""
        self._masks = dict(masks or {})
        for name in self._masks:
            if not any(n["op"] == "Dropout" and n["name"] == name for n in self.nodes):
                raise ValueError(f"no dropout node named {name!r}; they are {[n['name'] for n in self.nodes if n['op'] == 'Dropout']}")

    def dropout_nodes(self):
        """The dropout nodes in graph order (our DropoutSeed masks are numbered the same way)."""
        return [n for n in self.nodes if n["op"] == "Dropout"]

    def forward(self, x):
        values = {self.graph["input"]["name"]: x}
        for node in self.nodes:
            if node.get("training_only") and not self.training:
                continue
            values[node["output"]] = self._run(node, [values[i] for i in node["inputs"]])
        if self.training and self.auxiliary:
            return values[self.output_name], [values[name] for name, _ in self.auxiliary]
        return values[self.output_name]

    def _run(self, node, inputs):
        op, x = node["op"], inputs[0]
        if op == "Conv":
            y = self._layers[node["name"]](x)
            return F.relu(y) if node.get("relu") else y
        if op == "MaxPool":
            return F.max_pool2d(x, *_geometry(node), ceil_mode=node["ceil_mode"])
        if op == "AvgPool":
            return F.avg_pool2d(x, *_geometry(node), ceil_mode=node["ceil_mode"],
                                count_include_pad=node.get("count_include_pad", True))
        if op == "BatchNorm":
            y = self._layers[node["name"]](x)
            return F.relu(y) if node.get("relu") else y
        if op == "LRN":
            return self._layers[node["name"]](x)
        if op == "Concat":
            return torch.cat(inputs, dim=1)
        if op == "GlobalAveragePool":
            return F.adaptive_avg_pool2d(x, 1)
        if op == "AdaptiveAvgPool":
            return F.adaptive_avg_pool2d(x, _pair(node["output_size"]))
        if op == "Flatten":
            return torch.flatten(x, 1)
        if op == "Dropout":
            if not self.training:
                return x
            p = float(node["p"])
            keep = self._masks.get(node["name"])
            if keep is None:
                return F.dropout(x, p, training=True)
            keep = keep.to(dtype=x.dtype, device=x.device).reshape(x.shape)
            return x * (keep * torch.tensor(1.0 / (1.0 - p), dtype=torch.float32).to(x.dtype))
        if op == "Linear":
            y = self._layers[node["name"]](torch.flatten(x, 1) if x.dim() > 2 else x)
            return F.relu(y) if node.get("relu") else y
        raise ValueError(f"unknown op {op!r}")


def graph_of(path):
    """The graph JSON (as a dict) stored in a weights file's metadata."""
    _, metadata = read_safetensors(path)
    return _graph_from_metadata(path, metadata)


def _graph_from_metadata(path, metadata):
    if GRAPH_KEY not in metadata:
        raise ValueError(f"{path}: no {GRAPH_KEY!r} in its metadata; write it with InceptionGen's `init` or SafeTensors.Save(network, ...)")
    return json.loads(metadata[GRAPH_KEY])


def load(weights_path, dtype=torch.float32):
    """(model, graph): the network the file describes, with its weights loaded strictly, in eval mode."""
    tensors, metadata = read_safetensors(weights_path)
    graph = _graph_from_metadata(weights_path, metadata)
    model = InceptionGenNet(graph)
    model.load_state_dict(tensors, strict=True)
    model.to(dtype)
    model.eval()
    return model, graph
