#!/usr/bin/python3
"""PyTorch's numbers for an InceptionGen network: inference logits, and one training pass's loss and gradients.

    /usr/bin/python3 tools/reference/reference.py --weights W.safetensors --input X.npy --labels L.npy \\
        [--masks DIR] --output DIR [--dtype float32|float64] [--threads N]

Reads the network from the weights' graph metadata (inceptiongen_torch.load), a float32 NCHW batch and int64 labels.
Writes into --output:
  logits.npy             eval mode (no auxiliary heads, no dropout), float32 (N, classes)
  train_logits.npy       training mode, main classifier
  aux_logits_<i>.npy     training mode, auxiliary head i (graph order)
  loss.json              {"total", "main", "auxiliary": [weighted auxiliary losses]}
  gradients.safetensors  the gradient of "total" for every parameter, named like the weights (buffers, e.g. BatchNorm's
                         running statistics, get zeros, so the file has every tensor of the weights)
  state.safetensors      the weights after the training pass: BatchNorm's running statistics and num_batches_tracked
                         updated by its train-mode forward (PyTorch's momentum and unbiased variance)
  near_ties.json         with --near-ties EPS: the training pass's discontinuous decisions that float32 rounding can
                         flip, and the parameters whose gradients depend on them (see near_ties below)
The loss is InceptionGen's TrainingLoss: mean cross-entropy of the main logits plus, for each auxiliary head, its
loss weight times its mean cross-entropy. Dropout uses the keep masks DIR/<dropout node name>.npy (0 or 1, shape of
the node's input) when --masks is given, so the pass is the one our network ran; without it, torch's own random masks.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inceptiongen_torch  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", required=True)
    parser.add_argument("--input", required=True, help="float32 N x C x H x W .npy")
    parser.add_argument("--labels", required=True, help="integer class per image .npy")
    parser.add_argument("--masks", help="folder of <dropout node>.npy keep masks")
    parser.add_argument("--output", required=True, help="folder for the results")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--near-ties", type=float, metavar="EPS",
                        help="write near_ties.json: max-pool windows and ReLUs within EPS (relative) of a tie")
    args = parser.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    dtype = getattr(torch, args.dtype)
    model, graph = inceptiongen_torch.load(args.weights, dtype)
    x = np.load(args.input)
    labels = np.load(args.labels)
    expected = (graph["input"]["channels"], graph["input"]["height"], graph["input"]["width"])
    if x.dtype != np.float32 or x.ndim != 4 or tuple(x.shape[1:]) != expected:
        sys.exit(f"error: {args.input} is {x.dtype} {x.shape}; float32 (N, {', '.join(map(str, expected))}) is needed")
    if labels.shape != (x.shape[0],) or labels.dtype.kind not in "iu":
        sys.exit(f"error: {args.labels} is {labels.dtype} {labels.shape}; integers ({x.shape[0]},) are needed")
    images = torch.from_numpy(x).to(dtype)
    targets = torch.from_numpy(labels.astype(np.int64))
    os.makedirs(args.output, exist_ok=True)

    with torch.no_grad():
        logits = model(images)
    np.save(os.path.join(args.output, "logits.npy"), logits.to(torch.float32).numpy())

    model.train()
    if args.masks:
        masks = {}
        for node in model.dropout_nodes():
            path = os.path.join(args.masks, node["name"] + ".npy")
            if not os.path.exists(path):
                sys.exit(f"error: no keep mask {path} for dropout node {node['name']!r}")
            masks[node["name"]] = torch.from_numpy(np.load(path))
        model.set_dropout_masks(masks)
    probes = _probe(model) if args.near_ties is not None else None
    main_logits, aux_logits = model(images) if model.auxiliary else (model(images), [])
    main_loss = F.cross_entropy(main_logits, targets)
    aux_losses = [weight * F.cross_entropy(a, targets) for a, (_, weight) in zip(aux_logits, model.auxiliary)]
    total = main_loss + sum(aux_losses)
    total.backward()
    if probes is not None:
        write_near_ties(args.output, near_ties(graph, probes, args.near_ties))

    write_training_outputs(args.output, main_logits, aux_logits, main_loss, aux_losses, total)
    gradients = {name: p.grad for name, p in model.named_parameters()}
    gradients.update({name: torch.zeros(b.shape, dtype=dtype) for name, b in model.named_buffers()})
    inceptiongen_torch.write_safetensors(os.path.join(args.output, "gradients.safetensors"), gradients,
                                         {"network": graph["network"], "reference": f"torch {torch.__version__} {args.dtype}"})
    # float32 as our weights, num_batches_tracked kept as torch's int64 (I64), as a torch state_dict saved to safetensors has it.
    state = {name: t.to(torch.float32) if t.is_floating_point() else t for name, t in model.state_dict().items()}
    inceptiongen_torch.write_safetensors(os.path.join(args.output, "state.safetensors"), state,
                                         {"network": graph["network"], "reference": f"torch {torch.__version__} {args.dtype}"}, keep_dtypes=True)
    print(f"{graph['network']}: {x.shape[0]} images, loss {total.item():.6f} (main {main_loss.item():.6f}), "
          f"{len(gradients)} gradients, torch {torch.__version__} {args.dtype}")


def write_training_outputs(folder, main_logits, aux_logits, main_loss, aux_losses, total):
    """train_logits.npy, aux_logits_<i>.npy and loss.json of one training pass (see the module's docstring)."""
    np.save(os.path.join(folder, "train_logits.npy"), main_logits.detach().to(torch.float32).numpy())
    for i, a in enumerate(aux_logits):
        np.save(os.path.join(folder, f"aux_logits_{i}.npy"), a.detach().to(torch.float32).numpy())
    with open(os.path.join(folder, "loss.json"), "w") as f:
        json.dump({"total": total.item(), "main": main_loss.item(), "auxiliary": [a.item() for a in aux_losses]}, f, indent=2)
        f.write("\n")


def write_near_ties(folder, result):
    with open(os.path.join(folder, "near_ties.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


def _probe(model):
    """Makes the model keep, in training mode, each ReLU convolution's or BatchNorm's pre-activation and output and each max pool's
    input and output (outputs with their gradients after backward); returns the dict that fills."""
    probes = {"relu": {}, "pool": {}}
    run = model._run

    def probed(node, inputs):
        if node["op"] in ("Conv", "BatchNorm") and node.get("relu"):
            y = model._layers[node["name"]](inputs[0])
            z = F.relu(y)
            z.retain_grad()
            probes["relu"][node["name"]] = (node, y, z)
            return z
        out = run(node, inputs)
        if node["op"] == "MaxPool":
            out.retain_grad()
            probes["pool"][node["name"]] = (node, inputs[0], out)
        return out

    model._run = probed
    return probes


def near_ties(graph, probes, eps):
    """The decisions of the training pass that another float32 evaluation order can take the other way, and what they
    reach. A decision is near a tie when, relative to the largest magnitude of its (image, channel) map,
      * a max-pool window's two largest inputs (positive, not equal) differ by at most eps: the other one can win; or
      * a ReLU's pre-activation is within eps of zero: it can be cut (or let through) on the other side,
    and it matters when the gradient reaching it is nonzero. Each moves a whole gradient value to another element (or
    drops it), so every parameter feeding that pool or ReLU ("exposed") may differ by far more than rounding; the
    others' gradients do not go through any such decision. Exact equalities are not counted: they come from overlapping
    windows of an earlier pool holding the same element, and either winner leads back to it."""
    decisions = find_near_ties(probes, eps)
    producer = {node["output"]: node for node in graph["nodes"]}
    exposed = set()
    for tensor in {probes["pool"][d["node"]][0]["inputs"][0] if d["kind"] == "pool" else probes["relu"][d["node"]][0]["output"]
                   for d in decisions}:
        stack = [tensor]
        while stack:
            node = producer.get(stack.pop())
            if node is None:
                continue
            exposed.update(name for name in (node.get("weight"), node.get("bias")) if name)
            stack.extend(node["inputs"])
    return {"eps": eps, "count": len(decisions), "exposed": sorted(exposed), "decisions": decisions}


def find_near_ties(probes, eps):
    """The near-tie decisions (see near_ties), largest gradient first. probes["relu"][name] = (node, pre-activation,
    output with its gradient); probes["pool"][name] = (node with "kernel", "stride", "padding", input, output with its
    gradient)."""
    decisions = []
    for name, (node, y, z) in probes["relu"].items():
        y, gz = y.detach(), z.grad
        if gz is None:
            continue
        scale = y.abs().amax(dim=(2, 3), keepdim=True)
        for index in ((y.abs() <= eps * scale) & (gz != 0)).nonzero().tolist():
            decisions.append({"kind": "relu", "node": name, "at": index,
                              "gap": y[tuple(index)].item() / scale[index[0], index[1], 0, 0].item(),
                              "grad": abs(gz[tuple(index)].item()) / gz.abs().max().item()})
    for name, (node, x, out) in probes["pool"].items():
        x, gout = x.detach(), out.grad
        if gout is None:
            continue
        # Kernel, stride and padding as (height, width): one number when square, else a pair.
        (ky, kx), (sy, sx), (py, px) = (((v, v) if isinstance(v, int) else tuple(v)) for v in (node["kernel"], node["stride"], node["padding"]))
        n, c, h, w = x.shape
        oh, ow = out.shape[2:]
        padded = F.pad(x, (px, (ow - 1) * sx + kx - w - px, py, (oh - 1) * sy + ky - h - py), value=-math.inf)
        top = padded.unfold(2, ky, sy).unfold(3, kx, sx).reshape(n, c, oh, ow, ky * kx).topk(min(2, ky * kx), dim=-1).values
        if top.shape[-1] < 2:
            continue
        gap = top[..., 0] - top[..., 1]
        scale = x.abs().amax(dim=(2, 3))[:, :, None, None]
        for index in ((gap > 0) & (gap <= eps * scale) & (top[..., 0] > 0) & (gout != 0)).nonzero().tolist():
            decisions.append({"kind": "pool", "node": name, "at": index,
                              "gap": gap[tuple(index)].item() / scale[index[0], index[1], 0, 0].item(),
                              "grad": abs(gout[tuple(index)].item()) / gout.abs().max().item()})
    decisions.sort(key=lambda d: -d["grad"])
    return decisions


if __name__ == "__main__":
    main()
