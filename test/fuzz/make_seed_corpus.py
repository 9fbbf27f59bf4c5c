#!/usr/bin/env python3
"""Writes the fuzzer's seed corpus: small valid ONNX models, one per operator
the importer supports plus a few whole-graph shapes, so mutations start
from inputs that get deep into the importer. The committed corpus also holds
the inputs of earlier campaigns that added coverage, merged in with
`xf-onnx-import-fuzzer -merge=1 test/fuzz/corpus NEW_CORPUS` (files named by
their SHA-1); regenerating keeps those.

    python3 test/fuzz/make_seed_corpus.py test/fuzz/corpus
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def model(name, nodes, inputs, outputs, inits=(), opset=17):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def single(op, n_in=1, dtype=F, out_dtype=None, shape=("batch", 4), opset=17, **attrs):
    ins = [vi(f"x{i}", dtype, list(shape)) for i in range(n_in)]
    node = helper.make_node(op, [f"x{i}" for i in range(n_in)], ["y"], name=op.lower(), **attrs)
    return model(op, [node], ins, [vi("y", out_dtype or dtype, None)], opset=opset)


def seeds():
    for op in ["Sqrt", "Reciprocal", "Neg", "Exp", "Log", "Erf", "Tanh", "Sigmoid",
               "Relu", "Abs", "Sin", "Cos", "Identity", "Softmax"]:
        yield op, single(op)
    yield "Not", single("Not", dtype=B)
    for op in ["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"]:
        yield op, single(op, 2)
    for op in ["And", "Or"]:
        yield op, single(op, 2, dtype=B)
    for op in ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"]:
        yield op, single(op, 2, out_dtype=B)
    yield "Cast", single("Cast", to=TensorProto.INT64, out_dtype=I64)
    yield "Flatten", single("Flatten", axis=1)
    yield "Transpose", single("Transpose", perm=[1, 0])
    yield "MatMul", model("mm", [helper.make_node("MatMul", ["x", "w"], ["y"])],
                          [vi("x", F, ["b", "s", 4])], [vi("y", F, None)],
                          [const("w", np.ones((4, 3), np.float32))])
    yield "Gemm", model("gemm", [helper.make_node("Gemm", ["x", "w", "c"], ["y"], transB=1)],
                        [vi("x", F, [2, 4])], [vi("y", F, None)],
                        [const("w", np.ones((3, 4), np.float32)), const("c", np.zeros(3, np.float32))])
    yield "LayerNormalization", model(
        "ln", [helper.make_node("LayerNormalization", ["x", "s", "b"], ["y"], epsilon=1e-5)],
        [vi("x", F, ["b", 8])], [vi("y", F, None)],
        [const("s", np.ones(8, np.float32)), const("b", np.zeros(8, np.float32))])
    for op in ["ReduceMean", "ReduceMax", "ReduceSum"]:
        yield op, model(op, [helper.make_node(op, ["x", "axes"], ["y"], keepdims=1)],
                        [vi("x", F, ["b", 8])], [vi("y", F, None)],
                        [const("axes", np.array([-1], np.int64))], opset=18)
    yield "Squeeze11", model("sq", [helper.make_node("Squeeze", ["x"], ["y"], axes=[1])],
                             [vi("x", F, [2, 1])], [vi("y", F, None)], opset=11)
    yield "Unsqueeze", model("usq", [helper.make_node("Unsqueeze", ["x", "a"], ["y"])],
                             [vi("x", F, [2])], [vi("y", F, None)], [const("a", np.array([0], np.int64))])
    yield "Gather", model("g", [helper.make_node("Gather", ["t", "ids"], ["y"])],
                          [vi("ids", I64, ["b", "s"])], [vi("y", F, None)],
                          [const("t", np.ones((16, 4), np.float32))])
    yield "Reshape", model("r", [helper.make_node("Reshape", ["x", "s"], ["y"])],
                           [vi("x", F, ["b", 8])], [vi("y", F, None)],
                           [const("s", np.array([0, 2, 4], np.int64))])
    yield "Concat", model("c", [helper.make_node("Concat", ["x", "x"], ["y"], axis=0)],
                          [vi("x", F, [2, 3])], [vi("y", F, None)])
    yield "Slice", model("sl", [helper.make_node("Slice", ["x", "st", "en", "", "sp"], ["y"])],
                         [vi("x", F, [8, 3])], [vi("y", F, None)],
                         [const("st", np.array([1], np.int64)), const("en", np.array([7], np.int64)),
                          const("sp", np.array([2], np.int64))])
    yield "Split", model("sp", [helper.make_node("Split", ["x"], ["a", "b"], axis=1, num_outputs=2)],
                         [vi("x", F, [2, 8])], [vi("a", F, None), vi("b", F, None)], opset=18)
    yield "Expand", model("ex", [helper.make_node("Expand", ["x", "s"], ["y"])],
                          [vi("x", F, [1, 3])], [vi("y", F, None)], [const("s", np.array([4, 3], np.int64))])
    yield "Tile", model("ti", [helper.make_node("Tile", ["x", "r"], ["y"])],
                        [vi("x", F, [1, 3])], [vi("y", F, None)], [const("r", np.array([2, 1], np.int64))])
    yield "Where", model("wh", [helper.make_node("Where", ["c", "x", "z"], ["y"])],
                         [vi("c", B, [2, 2]), vi("x", F, [2, 2]), vi("z", F, [1])], [vi("y", F, None)])
    yield "Range", model("ra", [helper.make_node("Range", ["a", "b", "c"], ["y"])],
                         [], [vi("y", I64, None)],
                         [const("a", np.array(0, np.int64)), const("b", np.array(9, np.int64)),
                          const("c", np.array(2, np.int64))])
    yield "Shape", single("Shape", out_dtype=I64, start=1)
    yield "ConstantOfShape", model(
        "cs", [helper.make_node("ConstantOfShape", ["s"], ["y"],
                                value=numpy_helper.from_array(np.array([1], np.int64)))],
        [vi("s", I64, [2])], [vi("y", I64, None)])
    yield "Constant", model("k", [helper.make_node("Constant", [], ["y"], value_floats=[1.0, 2.0])],
                            [], [vi("y", F, None)])
    yield "Trilu", model("tr", [helper.make_node("Trilu", ["x", "k"], ["y"], upper=0)],
                         [vi("x", F, [4, 4])], [vi("y", F, None)], [const("k", np.array(0, np.int64))])
    yield "CumSum", model("cu", [helper.make_node("CumSum", ["x", "a"], ["y"])],
                          [vi("x", F, [4])], [vi("y", F, None)], [const("a", np.array(0, np.int64))])
    # A shape computation as exporters write it, and an unsupported op.
    yield "shape_chain", model("chain", [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["d0"]),
        helper.make_node("Unsqueeze", ["d0", "axes"], ["d0u"]),
        helper.make_node("Concat", ["d0u", "rest"], ["shape"], axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["y"]),
    ], [vi("x", F, ["b", "s", 8])], [vi("y", F, None)],
        [const("zero", np.array(0, np.int64)), const("axes", np.array([0], np.int64)),
         const("rest", np.array([-1, 2, 4], np.int64))])
    yield "unsupported", model("u", [helper.make_node("FooBar", ["x"], ["y"]),
                                     helper.make_node("Baz", ["y"], ["z"], domain="com.example")],
                               [vi("x", F, [2])], [vi("z", F, None)])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, m in seeds():
        with open(os.path.join(out, f"{name}.onnx"), "wb") as f:
            f.write(m.SerializeToString())


if __name__ == "__main__":
    main()
