#!/usr/bin/env python3
"""Writes a com.microsoft MatMulNBits model for matmul-nbits.test.

    make_matmul_nbits_model.py FORM OUT.onnx

FORM: int4_zp (K = 40 in blocks of 16, u8 zero points, bias), int4 (no zero
points: the default 8), int4_acc4 (the same with accuracy_level 4, as the
GenAI builder writes for the CPU), int8_fzp (f32 zero points), bits3
(refused).
"""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def main():
    form, out = sys.argv[1], sys.argv[2]
    k, n, block = 40, 6, 16
    bits = {"int8_fzp": 8, "bits3": 3}.get(form, 4)
    blocks = (k + block - 1) // block
    blob = block * bits // 8
    b = (np.arange(n * blocks * blob) % 251).astype(np.uint8).reshape(n, blocks, blob)
    scales = np.full(n * blocks, 0.5, np.float32)
    inits = [numpy_helper.from_array(b, "B"), numpy_helper.from_array(scales, "scales")]
    inputs = ["A", "B", "scales"]
    if form == "int4_zp":
        zp = (np.arange(n * ((blocks + 1) // 2)) % 256).astype(np.uint8)
        inits += [numpy_helper.from_array(zp, "zp"),
                  numpy_helper.from_array(np.ones(n, np.float32), "bias")]
        inputs += ["zp", "", "bias"]
    elif form == "int8_fzp":
        inits.append(numpy_helper.from_array(np.full(n * blocks, 127.5, np.float32), "zp"))
        inputs.append("zp")
    extra = {"accuracy_level": 4} if form == "int4_acc4" else {}
    node = helper.make_node("MatMulNBits", inputs, ["Y"], domain="com.microsoft",
                            K=k, N=n, bits=bits, block_size=block, **extra)
    graph = helper.make_graph(
        [node], "g", [helper.make_tensor_value_info("A", TensorProto.FLOAT, ["batch", 2, k])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", 2, n])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 10
    save(model, out)


if __name__ == "__main__":
    main()
