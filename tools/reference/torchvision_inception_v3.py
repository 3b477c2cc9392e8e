#!/usr/bin/python3
"""torchvision 0.14's Inception-v3 as the reference for InceptionGen's Definitions/InceptionV3.

    /usr/bin/python3 tools/reference/torchvision_inception_v3.py init --seed S [--calibrate B] --output W.safetensors [--num-classes K]
    /usr/bin/python3 tools/reference/torchvision_inception_v3.py run --weights W.safetensors --input X.npy --labels L.npy \\
        [--masks DIR] --output DIR [--dtype float32|float64] [--threads N] [--near-ties EPS] [--num-classes K]
    /usr/bin/python3 tools/reference/torchvision_inception_v3.py structure [--num-classes K]
    /usr/bin/python3 tools/reference/torchvision_inception_v3.py counts [--num-classes K]

The model is torchvision's own code: torchvision.models.inception_v3(weights=None, aux_logits=True,
transform_input=False, init_weights=True, num_classes=K), the network torchvision users run at 299x299. As in
torchvision_googlenet.py (whose MaskedDropout and near_ties this reuses) and reference.py (file formats). Worth
knowing when matching it: every BasicConv2d is conv (no bias) → BatchNorm2d(eps=0.001, momentum 0.1) → ReLU; the
pool branches of InceptionA, C and E are F.avg_pool2d(3, stride 1, padding 1) with count_include_pad=True (the
padded zeros count: a corner divides by 9); InceptionB and D pool with F.max_pool2d(3, stride 2) (functional, not
modules); the auxiliary head (InceptionAux, after Mixed_6e, training only) is avg_pool2d(5, stride 3) → conv0 1x1
128 → conv1 5x5 768 → adaptive average 1x1 → fc, with no dropout; the main head is adaptive average 1x1 → dropout
p 0.5 on the (N, 2048, 1, 1) map → flatten → fc.

init   seeds torch (torch.manual_seed(S)), builds the model (torchvision's init: truncated normal, ±2 absolute, std 0.1
       for every conv and Linear weight, 0.01 for AuxLogits.conv1, 0.001 for AuxLogits.fc; γ = 1, β = 0; Linear
       biases keep nn.Linear's default) and writes its state_dict as safetensors with torchvision's names and layouts
       (Conv2d_1a_3x3.conv.weight [32,3,3,3], Conv2d_1a_3x3.bn.weight, .bn.bias, .bn.running_mean, .bn.running_var,
       .bn.num_batches_tracked (I64, shape []), Mixed_5b.branch1x1.conv.weight, Mixed_7b.branch3x3_2a.conv.weight,
       AuxLogits.conv0.conv.weight, AuxLogits.fc.weight [K, 768], fc.weight [K, 2048], fc.bias, ...). With
       --calibrate B the running statistics are first set from B train-mode batches of random images (see calibrate:
       without it, eval-mode logits of the fresh model are near 1e11).
run    loads such a file strictly (every state_dict entry, nothing else; a float num_batches_tracked is converted, as
       load_state_dict does), reads a float32 NCHW batch (N, 3, 299, 299) and integer labels (N,), and writes into
       --output, in reference.py's formats:
         logits.npy             eval mode (running statistics, no dropout, no auxiliary head), float32 (N, K)
         train_logits.npy       train mode, main classifier
         aux_logits_0.npy       train mode, AuxLogits
         loss.json              {"total", "main", "auxiliary": [0.4·CE(AuxLogits)]}: InceptionGen's TrainingLoss, mean
                                cross-entropy of the main logits plus AUX_LOSS_WEIGHT (0.4) times the auxiliary head's
         gradients.safetensors  d total / d parameter for every parameter (not the buffers), named as in the state_dict
         running_stats.safetensors  every BN's running_mean, running_var (F32) and num_batches_tracked (I64) after the
                                one train-mode forward (momentum 0.1, unbiased variance; the eval forward changes nothing)
         near_ties.json         with --near-ties EPS: as reference.py's (max-pool windows, the functional ones of
                                Mixed_6a and Mixed_7a included, and BasicConv2d ReLUs within EPS of a tie in the
                                training pass; exposed = every parameter the decision's tensor depends on)
       Train mode is one forward and backward over the whole batch: BN uses the batch's statistics (biased variance,
       eps 0.001) and updates its running statistics once. Dropout: with --masks DIR, the keep mask DIR/dropout.npy
       (p 0.5, shape (N, 2048, 1, 1)), 0 or 1 per element, kept values scaled by float32(1/(1 − p)); without --masks,
       torch's own random mask.
structure  prints every conv, BN, pool (functional ones too), Linear and dropout in forward order with its shapes on a
       299x299 input, and the parameter counts, as JSON: what the Definitions file must reproduce.
counts prints an independent count per top-level block (Conv2d_1a_3x3 ... Mixed_7c, AuxLogits, fc), as JSON: its
       parameters (sum of the sizes of its parameters, γ and β included, running statistics not) and its multiply-adds
       for one 299x299 image, measured by forward hooks on every Conv2d (output elements × in channels / groups × kernel
       area) and Linear (in × out features), the auxiliary head run in train mode; and the totals.

AUX_LOSS_WEIGHT: torchvision's model returns the auxiliary logits and leaves their weight to the training script.
0.4 is the weight of PyTorch's torchvision fine-tuning recipe for inception_v3 (loss = loss1 + 0.4 * loss2), the
brief's choice; Definitions/InceptionV3.cs declares the same LossWeight.
"""

import argparse
import json
import os
import sys
import types

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
import torchvision.models.inception as tv_inception

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inceptiongen_torch  # noqa: E402
import reference  # noqa: E402
from torchvision_googlenet import MaskedDropout, near_ties  # noqa: E402

AUX_LOSS_WEIGHT = 0.4
IMAGE_SIZE = 299
DROPOUT_MODULES = ("dropout",)
AUXILIARY_PREFIX = "AuxLogits."


def build(num_classes=1000):
    """torchvision's Inception-v3 with its auxiliary head, random init (seed torch first), its dropout maskable."""
    model = torchvision.models.inception_v3(weights=None, aux_logits=True, transform_input=False, init_weights=True,
                                            num_classes=num_classes)
    for path in DROPOUT_MODULES:
        parent, _, leaf = path.rpartition(".")
        owner = model.get_submodule(parent) if parent else model
        setattr(owner, leaf, MaskedDropout(getattr(owner, leaf).p, path))
    return model


def parameter_count(model, auxiliary=True):
    """Sum of the parameters' sizes (γ and β included; the running statistics are buffers and not counted)."""
    return sum(p.numel() for name, p in model.named_parameters() if auxiliary or not name.startswith(AUXILIARY_PREFIX))


def init(args):
    torch.manual_seed(args.seed)
    model = build(args.num_classes)
    if args.calibrate:
        calibrate(model, args.calibrate)
    state = model.state_dict()
    inceptiongen_torch.write_safetensors(args.output, state, {
        "source": f"torchvision {torchvision.__version__} inception_v3(aux_logits=True, transform_input=False, init_weights=True)",
        "seed": str(args.seed), "calibration_batches": str(args.calibrate)}, keep_dtypes=True)
    print(f"{args.output}: {len(state)} tensors, {parameter_count(model)} parameters "
          f"({parameter_count(model, auxiliary=False)} without the auxiliary head), seed {args.seed}, "
          f"{args.calibrate} calibration batches")


def calibrate(model, batches, batch=2):
    """Sets every BN's running statistics to the cumulative average (momentum None) of its batch statistics over
    `batches` train-mode forwards of uniform [-1, 1) images drawn after the init (same seed, same images), then
    restores momentum 0.1; num_batches_tracked counts them. Why: with the init's statistics (mean 0, variance 1) and
    its std 0.1 weights, eval-mode activations grow through the 94 BasicConv2d to logits near 1e11, where an agreement
    check says little; calibrated, eval logits are of order 1 as after training."""
    norms = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in norms:
        m.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.rand(batch, 3, IMAGE_SIZE, IMAGE_SIZE) * 2 - 1)
    for m in norms:
        m.momentum = 0.1


def load(path, num_classes, dtype):
    tensors, _ = inceptiongen_torch.read_safetensors(path)
    model = build(num_classes)
    model.load_state_dict(tensors, strict=True)
    return model.to(dtype)


class FunctionalPools:
    """While active, inception.py's F.max_pool2d, F.avg_pool2d and F.adaptive_avg_pool2d (the pools torchvision's
    blocks call as functions) go through `observe(block, kind, arguments, input, output)`, block being the innermost
    Inception block running. Only inception.py's own `F` is replaced, so nn.MaxPool2d and nn.AdaptiveAvgPool2d
    modules (which hooks see) are not counted twice."""

    KINDS = ("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d")

    def __init__(self, model, observe):
        self.model, self.observe, self.block, self.handles = model, observe, [], []

    def __enter__(self):
        for name, module in self.model.named_modules():
            if type(module).__name__ in ("InceptionA", "InceptionB", "InceptionC", "InceptionD", "InceptionE", "InceptionAux"):
                self.handles.append(module.register_forward_pre_hook(self._enter_block(name)))
                self.handles.append(module.register_forward_hook(self._leave_block))
        proxy = types.SimpleNamespace(**{name: getattr(F, name) for name in dir(F) if not name.startswith("__")})
        for kind in self.KINDS:
            setattr(proxy, kind, self._wrap(kind, getattr(F, kind)))
        self.saved, tv_inception.F = tv_inception.F, proxy
        return self

    def _enter_block(self, name):
        def hook(*_):
            self.block.append(name)
        return hook

    def _leave_block(self, *_):
        self.block.pop()  # a forward hook must return None, or its value replaces the block's output

    def _wrap(self, kind, function):
        def pool(x, *args, **kwargs):
            out = function(x, *args, **kwargs)
            self.observe(self.block[-1] if self.block else "", kind, (args, kwargs), x, out)
            return out
        return pool

    def __exit__(self, *_):
        tv_inception.F = self.saved
        for handle in self.handles:
            handle.remove()


def _pool_geometry(args, kwargs):
    """kernel, stride (defaults to kernel) and padding of a functional max/avg pool call."""
    names = ("kernel_size", "stride", "padding")
    values = dict(zip(names, args))
    values.update({k: v for k, v in kwargs.items() if k in names})
    kernel = values["kernel_size"]
    return kernel, values.get("stride") or kernel, values.get("padding", 0)


def _probe(model):
    """Keeps, in training, each BasicConv2d's BN output (the ReLU's input) and ReLU output, and each max pool's input and
    output, module or functional (outputs with their gradients after backward), in reference.find_near_ties' format;
    returns (probes, the FunctionalPools context to run the forward in). The probed ReLU is out of place; its values
    are those of torchvision's in-place one."""
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

    def observe(block, kind, arguments, x, out):
        if kind == "max_pool2d" and out.requires_grad:
            kernel, stride, padding = _pool_geometry(*arguments)
            out.retain_grad()
            probes["pool"][f"{block}.{kind}"] = ({"kernel": kernel, "stride": stride, "padding": padding}, x, out)

    return probes, FunctionalPools(model, observe)


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
    probes, functional = _probe(model) if args.near_ties is not None else (None, None)
    if args.masks:
        for path in DROPOUT_MODULES:
            file = os.path.join(args.masks, path + ".npy")
            if not os.path.exists(file):
                sys.exit(f"error: no keep mask {file} for dropout {path!r}")
            model.get_submodule(path).keep = torch.from_numpy(np.load(file))
    # torchvision returns InceptionOutputs(logits, aux_logits) in training.
    if functional is not None:
        with functional:
            outputs = model(images)
    else:
        outputs = model(images)
    main_logits, aux_logits = outputs.logits, [outputs.aux_logits]
    main_loss = F.cross_entropy(main_logits, targets)
    aux_losses = [AUX_LOSS_WEIGHT * F.cross_entropy(a, targets) for a in aux_logits]
    total = main_loss + sum(aux_losses)
    total.backward()
    if probes is not None:
        reference.write_near_ties(args.output, near_ties(model, probes, args.near_ties))
    reference.write_training_outputs(args.output, main_logits, aux_logits, main_loss, aux_losses, total)
    source = f"torch {torch.__version__} torchvision {torchvision.__version__} {args.dtype}"
    gradients = {name: p.grad for name, p in model.named_parameters()}
    inceptiongen_torch.write_safetensors(os.path.join(args.output, "gradients.safetensors"), gradients, {"reference": source})
    buffers = {name: b.to(torch.float32) if b.is_floating_point() else b for name, b in model.named_buffers()}
    inceptiongen_torch.write_safetensors(os.path.join(args.output, "running_stats.safetensors"), buffers, {"reference": source},
                                         keep_dtypes=True)
    print(f"inception_v3: {x.shape[0]} images, loss {total.item():.6f} (main {main_loss.item():.6f}), "
          f"{len(gradients)} gradients, {len(buffers)} buffers, {source}")


def structure(args):
    model = build(args.num_classes)
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

    def functional(block, kind, arguments, x, out):
        args, kwargs = arguments
        entry = {"name": f"{block}.{kind}", "type": kind, "in": list(x.shape[1:]), "out": list(out.shape[1:])}
        if kind == "adaptive_avg_pool2d":
            entry.update(output_size=list(args[0]) if args else kwargs.get("output_size"))
        else:
            kernel, stride, padding = _pool_geometry(args, kwargs)
            entry.update(kernel=kernel, stride=stride, padding=padding, ceil_mode=kwargs.get("ceil_mode", False))
            if kind == "avg_pool2d":
                entry.update(count_include_pad=kwargs.get("count_include_pad", True))
        layers.append(entry)

    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.AdaptiveAvgPool2d, nn.Linear, MaskedDropout)):
            module.register_forward_hook(describe(name, module))
    model.train()  # the auxiliary head runs in training only
    with torch.no_grad(), FunctionalPools(model, functional):
        model(torch.zeros(2, 3, IMAGE_SIZE, IMAGE_SIZE))
    json.dump({"torchvision": torchvision.__version__, "parameters": parameter_count(model),
               "parameters_without_auxiliary": parameter_count(model, auxiliary=False),
               "state_dict_entries": len(model.state_dict()), "layers": layers}, sys.stdout, indent=1)
    sys.stdout.write("\n")


def block_counts(num_classes=1000):
    """Per top-level block of torchvision's model: parameters and forward multiply-adds for one 299x299 image, counted
    by forward hooks (see the module's docstring), in forward order, the auxiliary head flagged."""
    model = build(num_classes)
    blocks = {name: {"name": name, "parameters": sum(p.numel() for p in child.parameters()), "multiply_adds": 0,
                     "auxiliary": name == AUXILIARY_PREFIX[:-1], "ran": False}
              for name, child in model.named_children()}
    order = []

    def count(block, module):
        def hook(_, inputs, output):
            if isinstance(module, nn.Conv2d):
                in_channels = inputs[0].shape[1]
                # output[0]: one image's output (the batch is 2, as train-mode BN needs more than one value per channel).
                macs = output[0].numel() * (in_channels // module.groups) * module.kernel_size[0] * module.kernel_size[1]
            else:
                macs = module.in_features * module.out_features
            blocks[block]["multiply_adds"] += macs
        return hook

    def ran(block):
        def hook(*_):
            blocks[block]["ran"] = True
            order.append(block)
        return hook

    for name, child in model.named_children():
        child.register_forward_pre_hook(ran(name))
        for module in child.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.register_forward_hook(count(name, module))
    model.train()  # runs the auxiliary head
    with torch.no_grad():
        model(torch.zeros(2, 3, IMAGE_SIZE, IMAGE_SIZE))
    # A block with no parameters and no forward call (none in Inception-v3) would be left out; the dropout and the
    # pooling modules run and count zero.
    result = [blocks[name] for name in dict.fromkeys(order)]
    for block in result:
        del block["ran"]
    return model, result


def counts(args):
    model, blocks = block_counts(args.num_classes)
    main = [b for b in blocks if not b["auxiliary"]]
    aux = [b for b in blocks if b["auxiliary"]]
    tensors = sum(t.numel() for t in model.state_dict().values() if t.is_floating_point())
    json.dump({"torchvision": torchvision.__version__, "image": [3, IMAGE_SIZE, IMAGE_SIZE],
               "parameters": sum(b["parameters"] for b in blocks),
               "parameters_without_auxiliary": sum(b["parameters"] for b in main),
               "auxiliary_parameters": sum(b["parameters"] for b in aux),
               "multiply_adds": sum(b["multiply_adds"] for b in main),
               "auxiliary_multiply_adds": sum(b["multiply_adds"] for b in aux),
               "state_dict_floats": tensors,
               "blocks": blocks}, sys.stdout, indent=1)
    sys.stdout.write("\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("init", help="write a seeded random state_dict as safetensors")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--calibrate", type=int, default=0, metavar="BATCHES",
                   help="set the BN running statistics from this many train-mode batches of random images (see calibrate)")
    p = commands.add_parser("run", help="eval and train-mode outputs, loss, gradients and running statistics")
    p.add_argument("--weights", required=True)
    p.add_argument("--input", required=True, help="float32 N x 3 x 299 x 299 .npy")
    p.add_argument("--labels", required=True, help="integer class per image .npy")
    p.add_argument("--masks", help="folder holding dropout.npy, the main head's keep mask")
    p.add_argument("--output", required=True)
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--near-ties", type=float, metavar="EPS", help="write near_ties.json (see reference.py)")
    commands.add_parser("structure", help="print the module structure and parameter counts as JSON")
    commands.add_parser("counts", help="print per-block parameters and multiply-adds (forward hooks) as JSON")
    for p in commands.choices.values():
        p.add_argument("--num-classes", type=int, default=1000)
    args = parser.parse_args(argv)
    {"init": init, "run": run, "structure": structure, "counts": counts}[args.command](args)


if __name__ == "__main__":
    main()
