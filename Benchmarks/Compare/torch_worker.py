#!/usr/bin/python3
"""PyTorch behind the compare command's line protocol (see WorkerServer.cs): one command per stdin line, one reply
line on stdout, "ok [key=value ...]" or "error <message>".

    /usr/bin/python3 torch_worker.py --reference tools/reference

The model is tools/reference/inceptiongen_torch.py's: built from the graph in the weights file's metadata, weights
loaded strictly. Inference runs under torch.inference_mode() in eval mode; a training step is the main loss plus each
auxiliary head's weighted loss, backward, and torch.optim.SGD with momentum 0.9 and weight decay 2e-4 (as ours).
"""

import argparse
import collections
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.autograd import profiler

MAX_BATCH = 32


class Worker:
    def __init__(self):
        self.model = None

    def setup(self, folder, mode, batch, threads, profile=None):
        import inceptiongen_torch
        if mode not in ("inference", "train"):
            raise ValueError(f"mode {mode!r} is neither inference nor train")
        torch.set_num_threads(int(threads))
        torch.manual_seed(0)
        self.folder, self.mode, self.batch = folder, mode, int(batch)
        # network.txt names the network (googlenet, inception-v3); its weights are <name>.safetensors.
        with open(os.path.join(folder, "network.txt")) as f:
            network = f.read().strip()
        self.model, self.graph = inceptiongen_torch.load(os.path.join(folder, network + ".safetensors"))
        x = np.load(os.path.join(folder, "input.npy"))
        labels = np.load(os.path.join(folder, "labels.npy"))
        self.images = torch.from_numpy(np.ascontiguousarray(x[: self.batch]))
        self.labels = torch.from_numpy(labels[: self.batch].astype(np.int64))
        if mode == "train":
            self.model.train()
            self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9, weight_decay=2e-4)
        alloc = "jemalloc" if "jemalloc" in os.environ.get("LD_PRELOAD", "") else "glibc malloc"
        return f"torch {torch.__version__}, {alloc}, {torch.get_num_threads()} threads"

    def loss(self):
        return self.losses(*self.model(self.images))

    def losses(self, logits, auxiliary):
        main = F.cross_entropy(logits, self.labels)
        total = main
        for (_, weight), aux in zip(self.model.auxiliary, auxiliary):
            total = total + weight * F.cross_entropy(aux, self.labels)
        return total, main

    def check(self, path):
        if self.mode == "inference":
            with torch.inference_mode():
                logits = self.model(self.images)
            save_npy(path, logits.numpy())
            return
        # Our step-1 masks (0 or 1/(1-p)), one per dropout node in graph order: the same pass as ours.
        masks = np.load(os.path.join(self.folder, "masks.npy"))
        nodes = self.model.dropout_nodes()
        if masks.shape[0] != len(nodes):
            raise ValueError(f"masks.npy has {masks.shape[0]} layers, the graph {len(nodes)} dropout nodes")
        self.model.set_dropout_masks({node["name"]: torch.from_numpy((masks[i, : self.batch] > 0).astype(np.float32)) for i, node in enumerate(nodes)})
        self.model.zero_grad(set_to_none=True)
        total, main = self.loss()
        total.backward()
        norms = {name: float(parameter.grad.double().norm()) for name, parameter in self.model.named_parameters()}
        self.model.zero_grad(set_to_none=True)
        self.model.set_dropout_masks(None)
        write_atomically(path, json.dumps({"loss": float(total), "main": float(main), "grad_norms": norms}).encode())

    def run_once(self):
        if self.mode == "inference":
            with torch.inference_mode():
                self.model(self.images)
        else:
            # Named ranges for the layers command; without a profiler they cost about a microsecond each.
            with profiler.record_function("step:zero_grad"):
                self.optimizer.zero_grad()
            outputs = self.model(self.images)
            with profiler.record_function("loss"):
                total, _ = self.losses(*outputs)
            with profiler.record_function("step:backward"):
                total.backward()
            with profiler.record_function("step:optimizer"):
                self.optimizer.step()

    def layers(self, runs, path):
        """Milliseconds per run by "forward:NODE", "backward:NODE" and "step:PART" (JSON), from torch.autograd.profiler.
        A node's forward is its record_function range; its backward is every autograd function its forward ops
        created, matched by sequence number (PyTorch's own link from a backward node to the op that made it)."""
        original = self.model._run

        def timed(node, inputs):
            with profiler.record_function("node:" + node["name"]):
                return original(node, inputs)

        self.model._run = timed  # an instance attribute shadows the method until deleted
        totals = collections.defaultdict(float)
        try:
            for _ in range(int(runs)):
                with profiler.profile() as trace:
                    start = time.perf_counter()
                    self.run_once()
                    wall = (time.perf_counter() - start) * 1000
                for key, ms in attribute(trace.function_events, wall).items():
                    totals[key] += ms / int(runs)
        finally:
            del self.model._run
        write_atomically(path, json.dumps(totals).encode())

    def run(self, count):
        times = []
        for _ in range(int(count)):
            start = time.perf_counter()
            self.run_once()
            times.append((time.perf_counter() - start) * 1000)
        return "ms=" + ",".join(repr(t) for t in times)


def attribute(events, wall_ms):
    """Milliseconds by "forward:NODE" / "backward:NODE" / "step:PART" of one profiled run (see Worker.layers)."""
    times = collections.defaultdict(float)
    owner = {}  # autograd sequence number -> node that created it

    def descendants(event):
        for child in event.cpu_children:
            yield child
            yield from descendants(child)

    for event in events:  # in start order
        if event.name.startswith("node:") or event.name == "loss":
            name = event.name[len("node:"):] if event.name.startswith("node:") else "loss"
            times["forward:" + name] += event.cpu_time_total / 1000
            # An op that creates no autograd node records the next number, which a later op takes: later wins.
            for child in descendants(event):
                if child.sequence_nr >= 0:
                    owner[child.sequence_nr] = name
        elif event.name.startswith("step:") and event.name != "step:backward":
            times[event.name] += event.cpu_time_total / 1000
        elif event.name.startswith("autograd::engine::evaluate_function:"):
            node = owner.get(event.sequence_nr)
            # AccumulateGrad (adding into each parameter's .grad) belongs to no forward op.
            times["backward:" + node if node else "step:accumulate_grad"] += event.cpu_time_total / 1000
    times["step:unaccounted"] = wall_ms - sum(times.values())
    return times


def save_npy(path, array):
    temporary = path + ".tmp"
    with open(temporary, "wb") as f:
        np.save(f, np.ascontiguousarray(array, dtype=np.float32))
    os.replace(temporary, path)


def write_atomically(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, path)


def peak_kilobytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("/proc/self/status has no VmHWM line")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", required=True, help="folder of inceptiongen_torch.py")
    args = parser.parse_args()
    sys.path.insert(0, os.path.abspath(args.reference))
    worker = Worker()
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        try:
            command, rest = words[0], words[1:]
            if command == "setup":
                reply = "version=" + worker.setup(*rest).replace(" ", "_")
            elif command == "check" and len(rest) == 1:
                worker.check(rest[0])
                reply = ""
            elif command == "run" and len(rest) == 1:
                reply = worker.run(rest[0])
            elif command == "layers" and len(rest) == 2:
                worker.layers(*rest)
                reply = ""
            elif command == "peak" and not rest:
                reply = f"kb={peak_kilobytes()}"
            else:
                raise ValueError(f"unknown command or wrong argument count: {line.strip()!r}")
            print(("ok " + reply).rstrip(), flush=True)
        except Exception as exception:  # every failure is one reply line
            print(f"error {type(exception).__name__}: {exception}".replace("\n", " "), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
