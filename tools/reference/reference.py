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
  gradients.safetensors  the gradient of "total" for every parameter, named like the weights
The loss is InceptionGen's TrainingLoss: mean cross-entropy of the main logits plus, for each auxiliary head, its
loss weight times its mean cross-entropy. Dropout uses the keep masks DIR/<dropout node name>.npy (0 or 1, shape of
the node's input) when --masks is given, so the pass is the one our network ran; without it, torch's own random masks.
"""

import argparse
import json
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
    main_logits, aux_logits = model(images) if model.auxiliary else (model(images), [])
    main_loss = F.cross_entropy(main_logits, targets)
    aux_losses = [weight * F.cross_entropy(a, targets) for a, (_, weight) in zip(aux_logits, model.auxiliary)]
    total = main_loss + sum(aux_losses)
    total.backward()

    np.save(os.path.join(args.output, "train_logits.npy"), main_logits.detach().to(torch.float32).numpy())
    for i, a in enumerate(aux_logits):
        np.save(os.path.join(args.output, f"aux_logits_{i}.npy"), a.detach().to(torch.float32).numpy())
    with open(os.path.join(args.output, "loss.json"), "w") as f:
        json.dump({"total": total.item(), "main": main_loss.item(), "auxiliary": [a.item() for a in aux_losses]}, f, indent=2)
        f.write("\n")
    gradients = {name: p.grad for name, p in model.named_parameters()}
    inceptiongen_torch.write_safetensors(os.path.join(args.output, "gradients.safetensors"), gradients,
                                         {"network": graph["network"], "reference": f"torch {torch.__version__} {args.dtype}"})
    print(f"{graph['network']}: {x.shape[0]} images, loss {total.item():.6f} (main {main_loss.item():.6f}), "
          f"{len(gradients)} gradients, torch {torch.__version__} {args.dtype}")


if __name__ == "__main__":
    main()
