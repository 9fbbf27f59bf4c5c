#!/usr/bin/env python3
"""Import memory for a model larger than 2 GB (not a test: it writes a few
GB to disk and takes a minute).

Writes a MatMul chain whose weights (default 2.25 GiB) live in one external
data file, then runs xf-translate on it twice under /usr/bin/time:
  - text output with resource values elided (MLIR's printer still hex-encodes
    each blob before eliding it, so this reads every weight too);
  - bytecode output: every weight byte is read and written out.
and prints each run's peak RSS beside the weights' size.

    python3 bench/import_memory.py [--gib 2.25] [--xf-translate build/bin/xf-translate]
"""
import argparse
import os
import re
import subprocess
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper


def write_model(directory, gib):
    dim = 8192  # one 8192 x 8192 f32 weight is 256 MiB
    count = max(1, round(gib * 4))
    data_path = os.path.join(directory, "weights.bin")
    inits, nodes = [], []
    block = np.random.default_rng(0).standard_normal((dim, dim), dtype=np.float32) * 0.01
    with open(data_path, "wb") as f:
        for i in range(count):
            offset = f.tell()
            f.write(block.tobytes())
            t = TensorProto(name=f"w{i}", data_type=TensorProto.FLOAT, dims=[dim, dim],
                            data_location=TensorProto.EXTERNAL)
            for k, v in (("location", "weights.bin"), ("offset", str(offset)),
                         ("length", str(block.nbytes))):
                entry = t.external_data.add()
                entry.key, entry.value = k, v
            inits.append(t)
            nodes.append(helper.make_node("MatMul", ["x" if i == 0 else f"h{i}", f"w{i}"], [f"h{i + 1}"]))
    graph = helper.make_graph(
        nodes, "big",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", dim])],
        [helper.make_tensor_value_info(f"h{count}", TensorProto.FLOAT, ["batch", dim])], inits)
    model_path = os.path.join(directory, "big.onnx")
    with open(model_path, "wb") as f:
        f.write(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    return model_path, os.path.getsize(data_path)


def peak_rss_kib(cmd):
    out = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, check=True)
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gib", type=float, default=2.25)
    parser.add_argument("--xf-translate", default="build/bin/xf-translate")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR", "/tmp")) as d:
        model, data_bytes = write_model(d, args.gib)
        print(f"weights: {data_bytes / 2**30:.2f} GiB in one external data file")
        text = peak_rss_kib([args.xf_translate, "--import-onnx", model, "-o", os.devnull,
                             "--mlir-elide-resource-strings-if-larger=16"])
        print(f"import, text with weights elided: peak RSS {text / 2**20:.2f} GiB "
              f"({text * 1024 / data_bytes:.2f}x the weights)")
        out = os.path.join(d, "big.mlirbc")
        code = peak_rss_kib([args.xf_translate, "--import-onnx", model, "--emit-bytecode", "-o", out])
        print(f"import + write bytecode of every weight: peak RSS {code / 2**20:.2f} GiB "
              f"({code * 1024 / data_bytes:.2f}x the weights)")


if __name__ == "__main__":
    main()
