#!/usr/bin/env python3
"""Writes a DequantizeLinear -> MatMul model for dequantize-linear.test.

    make_dequantize_linear_model.py FORM OUT.onnx

FORM: int8_zp (int8 [4, 3] codes, per-column scale and zero point), shared
(the dequantized weight also feeds an Add), blocked (block_size: refused).
"""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def main():
    form, out = sys.argv[1], sys.argv[2]
    x = (np.arange(12).reshape(4, 3) * 21 - 128).astype(np.int8)
    inits = [numpy_helper.from_array(x, "W_q"),
             numpy_helper.from_array(np.array([0.5, 0.25, 0.125], np.float32), "W_scale"),
             numpy_helper.from_array(np.array([1, -2, 3], np.int8), "W_zp")]
    attrs = {"axis": 1}
    if form == "blocked":
        attrs = {"axis": 0, "block_size": 2}
    nodes = [helper.make_node("DequantizeLinear", ["W_q", "W_scale", "W_zp"], ["W"], **attrs),
             helper.make_node("MatMul", ["A", "W"], ["Y"])]
    outputs = [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", 3])]
    if form == "shared":
        nodes.append(helper.make_node("Add", ["W", "W"], ["W2"]))
        outputs.append(helper.make_tensor_value_info("W2", TensorProto.FLOAT, [4, 3]))
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("A", TensorProto.FLOAT, ["batch", 4])],
        outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    save(model, out)


if __name__ == "__main__":
    main()
