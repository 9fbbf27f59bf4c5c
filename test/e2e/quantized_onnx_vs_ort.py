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
points, uint8 per tensor; and float MatMuls quantized by onnxruntime's own
MatMulNBitsQuantizer in QDQ form (blocked DequantizeLinear, block_size 32,
axis 0: INT4 symmetric, UINT4 with UINT4 zero points, K = 72 with a partial
last block and K = 64; one whose dequantized weight also feeds an Add, so
the blocked expansion itself runs). Fails when an output differs from
onnxruntime's by more than 1e-4 relative to its largest magnitude (1e-5 for
the quantizer's models: both sides use the same dequantized f32 weights),
or (--xf-translate) when the import holds no xf.qlinear (for the
quantizer's models: none with bits = 4 group_size = 32).

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


def round_activations(a):
    """A on the runtime's int8 activation grid (xf/Kernels.h): blocks of 32
    along the last axis, scale max|x| / 127, x = scale * round(x / scale),
    in f32 as the kernel computes it; rounding such an A again changes
    nothing."""
    out = a.copy()
    for k0 in range(0, a.shape[-1], 32):
        block = a[..., k0:k0 + 32]
        scale = np.abs(block).max(axis=-1, keepdims=True) / np.float32(127)
        inverse = np.where(scale != 0, np.float32(1) / np.where(scale != 0, scale, 1),
                           np.float32(0)).astype(np.float32)
        out[..., k0:k0 + 32] = (scale * np.rint(block * inverse)).astype(np.float32)
    return out


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
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [2, 9, k])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 9, n])], inits)
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
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [2, 9, k])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 9, n])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
    model.ir_version = 9
    return model


def make_ort_quantized_case(rng, k, n, symmetric, reader="matmul"):
    """A float MatMul [2, 9, k] x [k, n] quantized by onnxruntime's
    MatMulNBitsQuantizer in QDQ form: DequantizeLinear(W_q INT4 [k, n] or
    UINT4 with UINT4 zero points, scales [ceil(k / 32), n], axis 0,
    block_size 32) -> MatMul. None when the quantizer cannot be imported.
    reader "add": the dequantized weight also feeds an Add (an output), so
    the blocked DequantizeLinear is expanded, not only folded."""
    try:
        from onnxruntime.quantization import QuantFormat
        from onnxruntime.quantization.matmul_nbits_quantizer import (
            DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer)
    except ImportError as e:
        print(f"onnxruntime's MatMulNBitsQuantizer cannot be imported ({e})")
        return None
    w = rng.standard_normal((k, n)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["A", "W"], ["Y"])], "matmul",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [2, 9, k])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 9, n])],
        [numpy_helper.from_array(w, "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    config = DefaultWeightOnlyQuantConfig(block_size=32, is_symmetric=symmetric,
                                          quant_format=QuantFormat.QDQ)
    quantizer = MatMulNBitsQuantizer(model, block_size=32, is_symmetric=symmetric,
                                     quant_format=QuantFormat.QDQ, algo_config=config)
    quantizer.process()
    model = quantizer.model.model
    dq = [node for node in model.graph.node if node.op_type == "DequantizeLinear"]
    weight = {t.name: t for t in model.graph.initializer}[dq[0].input[0]]
    assert weight.data_type == (TensorProto.INT4 if symmetric else TensorProto.UINT4), weight
    if reader == "add":
        model.graph.node.append(helper.make_node("Add", [dq[0].output[0]] * 2, ["W2"]))
        model.graph.output.append(
            helper.make_tensor_value_info("W2", TensorProto.FLOAT, [k, n]))
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
    failed_early = False
    models += [("dql-int8-column-zp", make_dequantize_case(rng, 48, 12, np.int8, True, True)),
               ("dql-int8-column", make_dequantize_case(rng, 40, 10, np.int8, True, False)),
               ("dql-uint8-tensor-zp", make_dequantize_case(rng, 32, 7, np.uint8, False, True))]
    # ORT's quantizer in QDQ form (blocked int4/uint4 DequantizeLinear); K
    # 72 = 2 * 32 + 8: a partial last block.
    for name, k, n, symmetric, reader in [("ort-qdq-int4-symmetric", 72, 24, True, "matmul"),
                                          ("ort-qdq-uint4-zp", 72, 24, False, "matmul"),
                                          ("ort-qdq-uint4-zp-k64", 64, 16, False, "matmul"),
                                          ("ort-qdq-int4-also-add", 40, 8, True, "add")]:
        model = make_ort_quantized_case(rng, k, n, symmetric, reader)
        if model is None:
            print(f"{name}: FAIL (the quantizer is needed for this case)")
            failed_early = True
            continue
        models.append((name, model))
    os.makedirs(args.workdir, exist_ok=True)
    failed = failed_early
    for name, model in models:
        k = model.graph.input[0].type.tensor_type.shape.dim[2].dim_value
        path = os.path.join(args.workdir, name + ".onnx")
        onnx.save(model, path)
        if args.xf_translate:
            mlir = subprocess.run([args.xf_translate, "--import-onnx", path], check=True,
                                  capture_output=True, text=True).stdout
            # MatMulNBits imports as its onnx op (raised to xf.qlinear by the
            # fusion pass xf-run runs); DequantizeLinear -> MatMul straight
            # into xf.qlinear.
            nbits = any(n.op_type == "MatMulNBits" for n in model.graph.node)
            expect = "onnx.com.microsoft.MatMulNBits" if nbits else "xf.qlinear"
            if expect not in mlir:
                print(f"{name}: imported without {expect}  FAIL")
                failed = True
            elif name.startswith("ort-qdq") and "bits = 4 group_size = 32" not in mlir:
                print(f"{name}: imported without a bits = 4 group_size = 32 xf.qlinear  FAIL")
                failed = True
        # 18 rows: up to 16 (xf::kFewRowsMatmul, decode and verify steps)
        # take the int8-activation path; more take f32 activations (an
        # imported layer keeps the exporter's exact product; only the
        # weights xfc quantized itself may round A for many rows). A is given
        # already on the int8 grid the rounding paths use, so every path
        # computes onnxruntime's product of the same numbers (the kernel's
        # unit tests bound the rounding of other A).
        a = round_activations(rng.standard_normal((2, 9, k)).astype(np.float32))
        # Without graph optimizations: ORT would otherwise fuse DequantizeLinear
        # -> MatMul into an integer matmul on dynamically quantized A.
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        expected = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"]).run(
            None, {"A": a})
        a_pb = os.path.join(args.workdir, name + ".A.pb")
        with open(a_pb, "wb") as f:
            f.write(numpy_helper.from_array(a, "A").SerializeToString())
        out = os.path.join(args.workdir, name + ".out")
        subprocess.run([args.xf_run, path, "--input", "A=" + a_pb, "--output-dir", out],
                       check=True)
        # ORT's own quantizer's models: the same dequantized weights in f32
        # on both sides, so within 1e-5 of the largest magnitude.
        tolerance = 1e-5 if name.startswith("ort-qdq") else 1e-4
        for index, output in enumerate(model.graph.output):
            y = onnx.load_tensor(os.path.join(out, output.name + ".pb"))
            got = numpy_helper.to_array(y)
            want = expected[index]
            err = float(np.abs(got - want).max() / np.abs(want).max())
            ok = got.shape == want.shape and err < tolerance
            print(f"{name} {output.name}: max |xfc - onnxruntime| / max |onnxruntime| = "
                  f"{err:.2e} (tolerance {tolerance:.0e})" + ("" if ok else "  FAIL"))
            failed |= not ok
    if failed:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
