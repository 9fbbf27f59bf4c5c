#!/usr/bin/env python3
"""Already-quantized ONNX: com.microsoft MatMulNBits (ONNX Runtime's blockwise
int4/int8 matmul, as its MatMulNBitsQuantizer writes it) and DequantizeLinear
-> MatMul (int8/uint8 codes, per tensor or per output column) imported as
xf.qlinear, run by xf-run and compared with onnxruntime on the same model.
The weights are packed here as the quantizer packs them (codes along K, two
per byte low nibble first, blocks padded to block_size; zero points packed
the same way, or f32) from random codes, scales and zero points. Cases: int4
with u8 and f32 zero points and without (default 8), int8, a partial last
block, a bias; DequantizeLinear: int8 per column with and without zero
points, uint8 per tensor. Fails when an output differs from onnxruntime's by
more than 1e-4 relative to its largest magnitude, or (--xf-translate) when
the import holds no xf.qlinear.

    python3 test/e2e/quantized_onnx_vs_ort.py --xf-run build/bin/xf-run \
        --xf-translate build/bin/xf-translate --workdir /tmp/qonnx
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


def make_dequantize_case(rng, k, n, dtype, per_column, zero_points):
    info = np.iinfo(dtype)
    x = rng.integers(info.min, info.max + 1, (k, n)).astype(dtype)
    count = n if per_column else 1
    shape = [n] if per_column else []
    scale = (rng.random(count) * 0.05 + 0.01).astype(np.float32).reshape(shape)
    inits = [numpy_helper.from_array(x, "W_q"), numpy_helper.from_array(scale, "W_scale")]
    inputs = ["W_q", "W_scale"]
    if zero_points:
        zp = rng.integers(info.min, info.max + 1, count).astype(dtype).reshape(shape)
        inits.append(numpy_helper.from_array(zp, "W_zp"))
        inputs.append("W_zp")
    nodes = [helper.make_node("DequantizeLinear", inputs, ["W"], axis=1),
             helper.make_node("MatMul", ["A", "W"], ["Y"])]
    graph = helper.make_graph(
        nodes, "dequantize_matmul",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [2, 3, k])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 3, n])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
    model.ir_version = 9
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xf-run", required=True)
    parser.add_argument("--xf-translate")
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
    models = [(name, make_case(rng, k, n, bits, block, zp, bias))
              for name, k, n, bits, block, zp, bias in cases]
    models += [("dql-int8-column-zp", make_dequantize_case(rng, 48, 12, np.int8, True, True)),
               ("dql-int8-column", make_dequantize_case(rng, 40, 10, np.int8, True, False)),
               ("dql-uint8-tensor-zp", make_dequantize_case(rng, 32, 7, np.uint8, False, True))]
    os.makedirs(args.workdir, exist_ok=True)
    failed = False
    for name, model in models:
        k = model.graph.input[0].type.tensor_type.shape.dim[2].dim_value
        path = os.path.join(args.workdir, name + ".onnx")
        onnx.save(model, path)
        if args.xf_translate:
            mlir = subprocess.run([args.xf_translate, "--import-onnx", path], check=True,
                                  capture_output=True, text=True).stdout
            if "xf.qlinear" not in mlir:
                print(f"{name}: imported without an xf.qlinear  FAIL")
                failed = True
        a = rng.standard_normal((2, 3, k)).astype(np.float32)
        # Without graph optimizations: ORT would otherwise fuse DequantizeLinear
        # -> MatMul into an integer matmul on dynamically quantized A.
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        expected = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"]).run(
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
