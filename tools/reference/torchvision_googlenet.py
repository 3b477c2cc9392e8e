#!/usr/bin/python3
"""torchvision 0.14's GoogLeNet as the reference for InceptionGen's Definitions/TorchvisionGoogLeNet.

    /usr/bin/python3 tools/reference/torchvision_googlenet.py init --seed S --output W.safetensors [--num-classes K]
    /usr/bin/python3 tools/reference/torchvision_googlenet.py run --weights W.safetensors --input X.npy --labels L.npy \\
        [--masks DIR] --output DIR [--dtype float32|float64] [--threads N] [--num-classes K]
    /usr/bin/python3 tools/reference/torchvision_googlenet.py structure [--num-classes K]

The model is torchvision's own code: torchvision.models.googlenet(weights=None, aux_logits=True, transform_input=False,
init_weights=True, num_classes=K), so the reference is what torchvision users run.

init   seeds torch (torch.manual_seed(S)), builds the model (torchvision's init: truncated normal std 0.01 for conv and
       Linear weights, γ = 1 and β = 0 for BN, default Linear biases) and writes its state_dict as safetensors with
       torchvision's names and layouts (conv1.conv.weight [64,3,7,7], conv1.bn.weight, conv1.bn.bias,
       conv1.bn.running_mean, conv1.bn.running_var, conv1.bn.num_batches_tracked (I64, shape []),
       inception3a.branch2.1.conv.weight, aux1.conv.conv.weight, aux1.fc1.weight [1024, 2048], fc.weight, ...).
run    loads such a file strictly (every state_dict entry, nothing else; a float num_batches_tracked is accepted and
       converted, as load_state_dict does), reads a float32 NCHW batch (N, 3, H, W) and integer labels (N,), and writes
       into --output, in reference.py's formats:
         logits.npy             eval mode (running statistics, no dropout, no auxiliary heads), float32 (N, K)
         train_logits.npy       train mode, main classifier
         aux_logits_0.npy       train mode, aux1 (after inception4a); aux_logits_1.npy: aux2 (after inception4d)
         loss.json              {"total", "main", "auxiliary": [0.3·CE(aux1), 0.3·CE(aux2)]}: InceptionGen's TrainingLoss,
                                mean cross-entropy of the main logits plus 0.3 times each auxiliary head's
         gradients.safetensors  d total / d parameter for every parameter, named as in the state_dict (the buffers get
                                zeros, so the file has every tensor of the weights, as reference.py's)
         running_stats.safetensors  every BN's running_mean, running_var (F32) and num_batches_tracked (I64) after the
                                one train-mode forward (momentum 0.1, unbiased variance; eval forward changes nothing)
         near_ties.json         with --near-ties EPS: as reference.py's (max-pool windows and BasicConv2d ReLUs within
                                EPS of a tie in the training pass, and the parameters exposed to them: here every
                                parameter the decision's tensor depends on in the autograd graph)
       Train mode is one forward and backward over the whole batch: BN uses the batch's statistics (biased variance,
       eps 0.001) and updates its running statistics once.
       Dropout: with --masks DIR, the keep masks DIR/dropout.npy (main head, p 0.2, shape (N, 1024), before fc),
       DIR/aux1.dropout.npy and DIR/aux2.dropout.npy (p 0.7, shape (N, 1024), after fc1's ReLU; (N, 1024, 1, 1), as
       InceptionGen's tests write them, is taken too), 0 or 1 per element;
       kept values are scaled by 1/(1 − p) as F.dropout does (the float32 factor, as reference.py). Without --masks,
       torch's own random masks. The masks go in by replacing the three nn.Dropout modules (which hold no state).
structure  prints the module structure (every conv, BN, pool and Linear in forward order, with its shapes on a
       224x224 input) and the parameter counts, as JSON: what the Definitions file must reproduce.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inceptiongen_torch  # noqa: E402
import reference  # noqa: E402

AUX_LOSS_WEIGHT = 0.3
DROPOUT_MODULES = ("dropout", "aux1.dropout", "aux2.dropout")


class MaskedDropout(nn.Module):
    """nn.Dropout whose keep mask can be given: x · keep · float32(1/(1 − p)) in training, identity in eval."""

    def __init__(self, p, name):
        super().__init__()
        self.p, self.name, self.keep = p, name, None

    def forward(self, x):
        if not self.training:
            return x
        if self.keep is None:
            return F.dropout(x, self.p, training=True)
        keep = self.keep
        if tuple(keep.shape) == (x.shape[0], x.shape[1], 1, 1) and x.dim() == 2:
            keep = keep.reshape(x.shape)  # written per 1024x1x1 map, as InceptionGen's dropout nodes see it
        if tuple(keep.shape) != tuple(x.shape):
            raise ValueError(f"the keep mask for {self.name!r} is {tuple(keep.shape)}; its input is {tuple(x.shape)}")
        scale = torch.tensor(1.0 / (1.0 - self.p), dtype=torch.float32).to(x.dtype)
        return x * (keep.to(x.dtype) * scale)


def build(num_classes=1000):
    """torchvision's GoogLeNet with auxiliary heads, random init (seed torch first), its dropouts maskable."""
    model = torchvision.models.googlenet(weights=None, aux_logits=True, transform_input=False, init_weights=True,
                                         num_classes=num_classes)
    for path in DROPOUT_MODULES:
        parent, _, leaf = path.rpartition(".")
        owner = model.get_submodule(parent) if parent else model
        setattr(owner, leaf, MaskedDropout(getattr(owner, leaf).p, path))
    return model


def dropouts(model):
    return {path: model.get_submodule(path) for path in DROPOUT_MODULES}


def init(args):
    torch.manual_seed(args.seed)
    model = build(args.num_classes)
    state = model.state_dict()
    inceptiongen_torch.write_safetensors(args.output, state, {
        "source": f"torchvision {torchvision.__version__} googlenet(aux_logits=True, transform_input=False, init_weights=True)",
        "seed": str(args.seed)}, keep_dtypes=True)
    print(f"{args.output}: {len(state)} tensors, {parameter_count(model)} parameters "
          f"({parameter_count(model, auxiliary=False)} without the auxiliary heads), seed {args.seed}")


def load(path, num_classes, dtype):
    tensors, _ = inceptiongen_torch.read_safetensors(path)
    model = build(num_classes)
    model.load_state_dict(tensors, strict=True)
    return model.to(dtype)


def run(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    dtype = getattr(torch, args.dtype)
    model = load(args.weights, args.num_classes, dtype)
    x = np.load(args.input)
    labels = np.load(args.labels)
    if x.dtype != np.float32 or x.ndim != 4 or x.shape[1] != 3:
        sys.exit(f"error: {args.input} is {x.dtype} {x.shape}; float32 (N, 3, H, W) is needed")
    if labels.shape != (x.shape[0],) or labels.dtype.kind not in "iu":
        sys.exit(f"error: {args.labels} is {labels.dtype} {labels.shape}; integers ({x.shape[0]},) are needed")
    images = torch.from_numpy(x).to(dtype)
    targets = torch.from_numpy(labels.astype(np.int64))
    os.makedirs(args.output, exist_ok=True)

    model.eval()
    with torch.no_grad():
        logits = model(images)
    np.save(os.path.join(args.output, "logits.npy"), logits.to(torch.float32).numpy())

    model.train()
    probes = _probe(model) if args.near_ties is not None else None
    if args.masks:
        for path, module in dropouts(model).items():
            file = os.path.join(args.masks, path + ".npy")
            if not os.path.exists(file):
                sys.exit(f"error: no keep mask {file} for dropout {path!r}")
            module.keep = torch.from_numpy(np.load(file))
    # torchvision returns GoogLeNetOutputs(logits, aux_logits2, aux_logits1) in training.
    outputs = model(images)
    main_logits, aux_logits = outputs.logits, [outputs.aux_logits1, outputs.aux_logits2]
    main_loss = F.cross_entropy(main_logits, targets)
    aux_losses = [AUX_LOSS_WEIGHT * F.cross_entropy(a, targets) for a in aux_logits]
    total = main_loss + sum(aux_losses)
    total.backward()
    if probes is not None:
        reference.write_near_ties(args.output, near_ties(model, probes, args.near_ties))
    reference.write_training_outputs(args.output, main_logits, aux_logits, main_loss, aux_losses, total)
    source = f"torch {torch.__version__} torchvision {torchvision.__version__} {args.dtype}"
    gradients = {name: p.grad for name, p in model.named_parameters()}
    # Buffers get zeros, so the file has every tensor of the weights (as reference.py's) and loads strictly.
    gradients.update({name: torch.zeros(b.shape, dtype=dtype) for name, b in model.named_buffers()})
    inceptiongen_torch.write_safetensors(os.path.join(args.output, "gradients.safetensors"), gradients, {"reference": source})
    buffers = {name: b.to(torch.float32) if b.is_floating_point() else b for name, b in model.named_buffers()}
    inceptiongen_torch.write_safetensors(os.path.join(args.output, "running_stats.safetensors"), buffers, {"reference": source},
                                         keep_dtypes=True)
    print(f"googlenet: {x.shape[0]} images, loss {total.item():.6f} (main {main_loss.item():.6f}), "
          f"{len(gradients) - len(buffers)} gradients, {len(buffers)} buffers, {source}")


def _probe(model):
    """Makes the model keep, in training, each BasicConv2d's BN output (the ReLU's input) and ReLU output, and each max
    pool's input and output (outputs with their gradients after backward), in reference.find_near_ties' format. The
    probed ReLU is out of place; its values are those of torchvision's in-place one."""
    probes = {"relu": {}, "pool": {}}
    for name, module in model.named_modules():
        if type(module).__name__ == "BasicConv2d":
            def forward(x, module=module, name=name):
                y = module.bn(module.conv(x))
                z = F.relu(y)
                z.retain_grad()
                probes["relu"][name] = (None, y, z)
                return z
            module.forward = forward
        elif isinstance(module, nn.MaxPool2d):
            def hook(module, inputs, out, name=name):
                out.retain_grad()
                probes["pool"][name] = ({"kernel": module.kernel_size, "stride": module.stride, "padding": module.padding}, inputs[0], out)
            module.register_forward_hook(hook)
    return probes


def near_ties(model, probes, eps):
    """reference.near_ties for torchvision's model: the decisions, and as exposed every parameter that the decision's
    tensor (a pool's input, a ReLU's output) depends on, found by walking its autograd graph."""
    decisions = reference.find_near_ties(probes, eps)
    names = {id(p): name for name, p in model.named_parameters()}
    exposed = set()
    for tensor in {id(t): t for t in (probes["pool"][d["node"]][1] if d["kind"] == "pool" else probes["relu"][d["node"]][2]
                                      for d in decisions)}.values():
        stack, seen = [tensor.grad_fn], set()
        while stack:
            function = stack.pop()
            if function is None or function in seen:
                continue
            seen.add(function)
            variable = getattr(function, "variable", None)
            if variable is not None and id(variable) in names:
                exposed.add(names[id(variable)])
            stack.extend(next_function for next_function, _ in function.next_functions)
    return {"eps": eps, "count": len(decisions), "exposed": sorted(exposed), "decisions": decisions}


def parameter_count(model, auxiliary=True):
    """Sum of the parameters' sizes (γ and β included; the running statistics are buffers and not counted)."""
    return sum(p.numel() for name, p in model.named_parameters() if auxiliary or not name.startswith(("aux1.", "aux2.")))


def structure(args):
    model = build(args.num_classes).eval()
    layers = []

    def describe(name, module):
        def hook(_, inputs, output):
            entry = {"name": name, "type": type(module).__name__, "in": list(inputs[0].shape[1:]), "out": list(output.shape[1:])}
            if isinstance(module, nn.Conv2d):
                entry.update(kernel=list(module.kernel_size), stride=list(module.stride), padding=list(module.padding),
                             bias=module.bias is not None)
            elif isinstance(module, nn.BatchNorm2d):
                entry.update(eps=module.eps, momentum=module.momentum, affine=module.affine)
            elif isinstance(module, nn.MaxPool2d):
                entry.update(kernel=module.kernel_size, stride=module.stride, padding=module.padding, ceil_mode=module.ceil_mode)
            elif isinstance(module, nn.AdaptiveAvgPool2d):
                entry.update(output_size=list(module.output_size) if isinstance(module.output_size, tuple) else module.output_size)
            elif isinstance(module, (nn.Linear, MaskedDropout)):
                entry.update({"p": module.p} if isinstance(module, MaskedDropout) else {"bias": module.bias is not None})
            layers.append(entry)
        return hook

    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.AdaptiveAvgPool2d, nn.Linear, MaskedDropout)):
            module.register_forward_hook(describe(name, module))
    model.train()  # the auxiliary heads run in training only
    with torch.no_grad():
        model(torch.zeros(2, 3, 224, 224))
    json.dump({"torchvision": torchvision.__version__, "parameters": parameter_count(model),
               "parameters_without_auxiliary": parameter_count(model, auxiliary=False),
               "state_dict_entries": len(model.state_dict()), "layers": layers}, sys.stdout, indent=1)
    sys.stdout.write("\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("init", help="write a seeded random state_dict as safetensors")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--output", required=True)
    p = commands.add_parser("run", help="eval and train-mode outputs, loss, gradients and running statistics")
    p.add_argument("--weights", required=True)
    p.add_argument("--input", required=True, help="float32 N x 3 x H x W .npy")
    p.add_argument("--labels", required=True, help="integer class per image .npy")
    p.add_argument("--masks", help="folder of dropout.npy, aux1.dropout.npy and aux2.dropout.npy keep masks")
    p.add_argument("--output", required=True)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--near-ties", type=float, metavar="EPS", help="write near_ties.json (see reference.py)")
    p = commands.add_parser("structure", help="print the module structure and parameter counts as JSON")
    for p in commands.choices.values():
        p.add_argument("--num-classes", type=int, default=1000)
    args = parser.parse_args(argv)
    {"init": init, "run": run, "structure": structure}[args.command](args)


if __name__ == "__main__":
    main()
