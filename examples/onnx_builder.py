"""Helpers shared by the example-model scripts: a small graph builder over
onnx.helper with fixed random weights, and their common command line
(`OUT.onnx [--layers N] [--external-data]`)."""
import argparse
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper


class GraphBuilder:
    """Collects nodes and initializers. Node and value names are numbered in
    creation order, so a script builds the same model bytes every run."""

    def __init__(self, seed=0):
        self.nodes, self.inits = [], []
        self.rng = np.random.default_rng(seed)
        self.count = 0

    def name(self, prefix):
        self.count += 1
        return f"{prefix}_{self.count}"

    def const(self, value, name=None, dtype=None):
        array = np.asarray(value, dtype=dtype)
        name = name or self.name("const")
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def weight(self, shape, name, scale=0.05):
        return self.const((self.rng.standard_normal(shape) * scale).astype(np.float32), name)

    def op(self, op_type, inputs, n_out=1, **attrs):
        outs = [self.name(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=self.name("/" + op_type), **attrs))
        return outs[0] if n_out == 1 else outs


def save(model, out, external_data=False):
    """Writes `model` to `out`; with external_data, every initializer goes to
    OUT.data next to it."""
    if external_data:
        onnx.save(model, out, save_as_external_data=True, all_tensors_to_one_file=True,
                  location=os.path.basename(out) + ".data", size_threshold=0)
    else:
        onnx.save(model, out)


def main(doc, build, flags=()):
    """The example scripts' command line; `build(layers=N)` returns the model.
    Each (option, help) in `flags` adds an on/off option that is passed to
    build as a keyword ("--with-past" -> with_past=True or False)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--external-data", action="store_true",
                        help="store weights in OUT.data next to the model")
    for option, text in flags:
        parser.add_argument(option, action="store_true", help=text)
    args = parser.parse_args()
    extra = {option.lstrip("-").replace("-", "_"): getattr(args, option.lstrip("-").replace("-", "_"))
             for option, _ in flags}
    save(build(layers=args.layers, **extra), args.out, args.external_data)
