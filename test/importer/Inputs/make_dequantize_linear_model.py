#!/usr/bin/env python3
"""Writes a DequantizeLinear -> MatMul model for dequantize-linear.test.

    make_dequantize_linear_model.py FORM OUT.onnx

FORM: int8_zp (int8 [4, 3] codes, per-column scale and zero point), shared
(the dequantized weight also feeds an Add); blocked forms (axis 0,
block_size 2, K = 5: a partial last block) on 4-bit codes [5, 3] as ONNX
packs them (two per byte, low nibble first): int4_blocked (INT4, no zero
point), uint4_zp_blocked (UINT4 with UINT4 zero points), int4_blocked_shared
(also feeding an Add), blocked_bad_scale (scales [2, 3], not [3, 3]).
"""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def packed4(name, data_type, values):
    """An INT4/UINT4 initializer: raw data two per byte, low nibble first."""
    flat = [int(v) & 0xF for v in values.reshape(-1)]
    if len(flat) % 2:
        flat.append(0)
    raw = bytes(flat[i] | (flat[i + 1] << 4) for i in range(0, len(flat), 2))
    return helper.make_tensor(name, data_type, values.shape, raw, raw=True)


def main():
    form, out = sys.argv[1], sys.argv[2]
    if "blocked" in form and form != "blocked":
        return blocked(form, out)
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


def blocked(form, out):
    k, n = 5, 3
    signed = form.startswith("int4") or form == "blocked_bad_scale"
    x = np.arange(k * n).reshape(k, n) - (8 if signed else 0)  # x[p, j] = 3p + j (- 8)
    groups = 2 if form == "blocked_bad_scale" else 3
    scale = (np.arange(groups * n).reshape(groups, n) + 1).astype(np.float32) / 8
    inits = [packed4("W_q", TensorProto.INT4 if signed else TensorProto.UINT4, x),
             numpy_helper.from_array(scale, "W_scale")]
    inputs = ["W_q", "W_scale"]
    if form == "uint4_zp_blocked":
        inits.append(packed4("W_zp", TensorProto.UINT4, np.arange(9).reshape(3, 3)))
        inputs.append("W_zp")
    nodes = [helper.make_node("DequantizeLinear", inputs, ["W"], name="dq_w", axis=0,
                              block_size=2),
             helper.make_node("MatMul", ["A", "W"], ["Y"])]
    outputs = [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["batch", n])]
    if form == "int4_blocked_shared":
        nodes.append(helper.make_node("Add", ["W", "W"], ["W2"]))
        outputs.append(helper.make_tensor_value_info("W2", TensorProto.FLOAT, [k, n]))
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("A", TensorProto.FLOAT, ["batch", k])],
        outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    save(model, out)


if __name__ == "__main__":
    main()
