#!/usr/bin/env python3
"""Already-quantized ONNX: com.microsoft MatMulNBits (ONNX Runtime's blockwise
int4/int8 matmul, as its MatMulNBitsQuantizer writes it) imported as
xf.qlinear, run by xf-run and compared with onnxruntime on the same model.
The weights are packed here as the quantizer packs them (codes along K, two
per byte low nibble first, blocks padded to block_size; zero points packed
the same way, or f32) from random codes, scales and zero points. Cases: int4
with u8 and f32 zero points and without (default 8), int8, a partial last
block, a bias. Fails when an output differs from onnxruntime's by more than
1e-4 relative to its largest magnitude.

    python3 test/e2e/matmul_nbits_vs_ort.py --xf-run build/bin/xf-run --workdir /tmp/mnb
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def pack(codes, bits):
    """[rows, count] codes -> [rows, ceil(count * bits / 8)] bytes, low first."""
    if bits == 8:
        return codes.astype(np.uint8)
    rows, count = codes.shape
    if count % 2:
        codes = np.concatenate([codes, np.zeros((rows, 1), codes.dtype)], axis=1)
    return (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8)


def make_case(rng, k, n, bits, block, zero_points, bias):
    blocks = (k + block - 1) // block
    q = rng.integers(0, 1 << bits, (n, blocks * block))
    b = pack(q, bits).reshape(n, blocks, block * bits // 8)
    scales = (rng.random((n, blocks)) * 0.05 + 0.01).astype(np.float32)
    inits = [numpy_helper.from_array(b, "B"),
             numpy_helper.from_array(scales.reshape(-1), "scales")]
    inputs = ["A", "B", "scales"]
    if zero_points == "u8":
        zp = rng.integers(0, 1 << bits, (n, blocks))
        inits.append(numpy_helper.from_array(pack(zp, bits).reshape(-1), "zp"))
        zpf = zp.astype(np.float64)
    elif zero_points == "f32":
        zpf = (rng.random((n, blocks)) * (1 << bits)).astype(np.float32)
        inits.append(numpy_helper.from_array(zpf.reshape(-1), "zp"))
    else:
        zpf = np.full((n, blocks), float(1 << (bits - 1)))
    inputs.append("zp" if zero_points else "")
    if bias:
        inits.append(numpy_helper.from_array(rng.standard_normal(n).astype(np.float32), "bias"))
        inputs += ["", "bias"]
    node = helper.make_node("MatMulNBits", inputs, ["Y"], domain="com.microsoft",
                            K=k, N=n, bits=bits, block_size=block)
    graph = helper.make_graph(
        [node], "matmul_nbits",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [2, 3, k])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 3, n])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 10
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xf-run", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    try:
        import onnxruntime as ort
    except ImportError:
        print("skipped: onnxruntime is not installed")
        sys.exit(77)

    rng = np.random.default_rng(11)
    cases = [("int4-u8-zp", 96, 40, 4, 32, "u8", False),
             ("int4-default-zp-partial", 80, 24, 4, 32, None, True),
             ("int4-f32-zp", 64, 16, 4, 16, "f32", False),
             ("int8-u8-zp-partial", 72, 20, 8, 32, "u8", True),
             ("int8-default-zp", 64, 8, 8, 64, None, False)]
    os.makedirs(args.workdir, exist_ok=True)
    failed = False
    for name, k, n, bits, block, zp, bias in cases:
        model = make_case(rng, k, n, bits, block, zp, bias)
        path = os.path.join(args.workdir, name + ".onnx")
        onnx.save(model, path)
        a = rng.standard_normal((2, 3, k)).astype(np.float32)
        expected = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
            None, {"A": a})[0]
        a_pb = os.path.join(args.workdir, name + ".A.pb")
        with open(a_pb, "wb") as f:
            f.write(numpy_helper.from_array(a, "A").SerializeToString())
        out = os.path.join(args.workdir, name + ".out")
        subprocess.run([args.xf_run, path, "--input", "A=" + a_pb, "--output-dir", out],
                       check=True)
        y = onnx.load_tensor(os.path.join(out, "Y.pb"))
        got = numpy_helper.to_array(y)
        err = float(np.abs(got - expected).max() / np.abs(expected).max())
        ok = got.shape == expected.shape and err < 1e-4
        print(f"{name}: max |xfc - onnxruntime| / max |onnxruntime| = {err:.2e}"
              + ("" if ok else "  FAIL"))
        failed |= not ok
    if failed:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
