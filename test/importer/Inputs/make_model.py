#!/usr/bin/env python3
"""Writes the ONNX models the importer lit tests read.

  make_model.py CASE OUT.onnx

Every case is deterministic (fixed seeds), so CHECK lines may name values.
Cases that need external data write it beside OUT.onnx, named after it.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT
I64 = TensorProto.INT64


def rng():
    return np.random.default_rng(0)


def model(nodes, inputs, outputs, initializers=(), opset=18, extra_opsets=(),
          ir_version=8, name="test"):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    opsets = [helper.make_opsetid("", opset)] + [
        helper.make_opsetid(domain, version) for domain, version in extra_opsets]
    m = helper.make_model(graph, opset_imports=opsets, ir_version=ir_version)
    return m


def tensor_input(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def i64(name, values):
    return const(name, np.array(values, dtype=np.int64))


def save(m, out):
    onnx.save(m, out)


#===----------------------------------------------------------------------===#
# Symbolic dimensions and initializers
#===----------------------------------------------------------------------===#

def symbolic_dims(out):
    table = rng().standard_normal((100, 16)).astype(np.float32)
    unknown = helper.make_tensor_value_info("mask", TensorProto.BOOL, None)
    unknown.type.tensor_type.shape.dim.add()  # neither value nor param
    unknown.type.tensor_type.shape.dim.add().dim_value = 4
    nodes = [helper.make_node("Gather", ["table", "input_ids"], ["embeddings"],
                              name="embed"),
             helper.make_node("Not", ["mask"], ["not_mask"], name="invert")]
    save(model(nodes,
               [tensor_input("input_ids", I64, ["batch", "sequence"]), unknown],
               [tensor_input("embeddings", F32, ["batch", "sequence", 16]),
                tensor_input("not_mask", TensorProto.BOOL, [None, 4])],
               [const("table", table)]), out)


def initializers(out):
    r = rng()
    small = np.arange(64, dtype=np.float32) / 4
    large = r.standard_normal(65).astype(np.float32)
    typed = helper.make_tensor("typed_i64", I64, [3], [7, -1, 1 << 40])
    flags = const("flags", np.array([True, False, True]))
    half = const("half", np.array([1.0, -2.0], dtype=np.float16))
    scalar = const("scalar", np.array(0.5, dtype=np.float32))
    nodes = [
        helper.make_node("Add", ["small", "small"], ["a"], name="add_small"),
        helper.make_node("Add", ["large", "large"], ["b"], name="add_large"),
        helper.make_node("Identity", ["typed_i64"], ["c"], name="id_typed"),
        helper.make_node("Not", ["flags"], ["d"], name="not_flags"),
        helper.make_node("Identity", ["half"], ["e"], name="id_half"),
        helper.make_node("Mul", ["scalar", "x"], ["f"], name="scale"),
    ]
    save(model(nodes, [tensor_input("x", F32, [2])],
               [tensor_input("a", F32, [64]), tensor_input("b", F32, [65]),
                tensor_input("c", I64, [3]),
                tensor_input("d", TensorProto.BOOL, [3]),
                tensor_input("e", TensorProto.FLOAT16, [2]),
                tensor_input("f", F32, [2])],
               [const("small", small), const("large", large), typed, flags,
                half, scalar]), out)


#===----------------------------------------------------------------------===#
# External data
#===----------------------------------------------------------------------===#

def external_model(out):
    weight = np.array([1.0, 2.0, 3.0, 4.0], dtype=np.float32)
    bias = np.array([[0.5, -0.5, 0.25, -0.25]] * 20, dtype=np.float32)
    nodes = [helper.make_node("Add", ["x", "weight"], ["y"], name="add_w"),
             helper.make_node("Add", ["y", "bias"], ["z"], name="add_b")]
    m = model(nodes, [tensor_input("x", F32, [4])],
              [tensor_input("z", F32, [20, 4])],
              [const("weight", weight), const("bias", bias)])
    location = os.path.basename(out) + ".data"
    if os.path.exists(os.path.join(os.path.dirname(out) or ".", location)):
        os.remove(os.path.join(os.path.dirname(out) or ".", location))
    onnx.save(m, out, save_as_external_data=True, all_tensors_to_one_file=True,
              location=location, size_threshold=0)
    return location


def external_data(out):
    external_model(out)


def external_missing_file(out):
    location = external_model(out)
    os.remove(os.path.join(os.path.dirname(out) or ".", location))


def set_external(m, tensor_name, key, value):
    for init in m.graph.initializer:
        if init.name == tensor_name:
            for entry in init.external_data:
                if entry.key == key:
                    entry.value = value
                    return
            init.external_data.add(key=key, value=value)
            return
    raise KeyError(tensor_name)


def external_bad_offset(out):
    external_model(out)
    m = onnx.load(out, load_external_data=False)
    set_external(m, "bias", "offset", "4096")
    onnx.save(m, out)


def external_bad_length(out):
    external_model(out)
    m = onnx.load(out, load_external_data=False)
    set_external(m, "bias", "length", "100000")
    onnx.save(m, out)


def external_outside_dir(out):
    external_model(out)
    m = onnx.load(out, load_external_data=False)
    set_external(m, "weight", "location", "../elsewhere.data")
    onnx.save(m, out)


#===----------------------------------------------------------------------===#
# Opset differences
#===----------------------------------------------------------------------===#

def squeeze_unsqueeze(opset):
    def make(out):
        if opset < 13:
            nodes = [helper.make_node("Unsqueeze", ["x"], ["u"], axes=[0, 3],
                                      name="unsq"),
                     helper.make_node("Squeeze", ["u"], ["s"], axes=[0],
                                      name="sq"),
                     helper.make_node("ReduceSum", ["s"], ["r"], axes=[1],
                                      keepdims=0, name="sum")]
            inits = []
        else:
            nodes = [helper.make_node("Unsqueeze", ["x", "unsq_axes"], ["u"],
                                      name="unsq"),
                     helper.make_node("Squeeze", ["u", "sq_axes"], ["s"],
                                      name="sq"),
                     helper.make_node("ReduceSum", ["s", "sum_axes"], ["r"],
                                      keepdims=0, name="sum")]
            inits = [i64("unsq_axes", [0, 3]), i64("sq_axes", [0]),
                     i64("sum_axes", [1])]
        save(model(nodes, [tensor_input("x", F32, [2, "n", 5])],
                   [tensor_input("r", F32, [2, 1, 5])], inits, opset=opset), out)
    return make


def reduce_mean_max(opset):
    def make(out):
        if opset < 18:
            nodes = [helper.make_node("ReduceMean", ["x"], ["m"], axes=[-1],
                                      name="mean"),
                     helper.make_node("ReduceMax", ["x"], ["k"], axes=[0, 1],
                                      keepdims=0, name="max")]
            inits = []
        else:
            nodes = [helper.make_node("ReduceMean", ["x", "mean_axes"], ["m"],
                                      name="mean"),
                     helper.make_node("ReduceMax", ["x", "max_axes"], ["k"],
                                      keepdims=0, name="max")]
            inits = [i64("mean_axes", [-1]), i64("max_axes", [0, 1])]
        save(model(nodes, [tensor_input("x", F32, [2, "n", 8])],
                   [tensor_input("m", F32, [2, "n", 1]), tensor_input("k", F32, [8])],
                   inits, opset=opset), out)
    return make


def split(opset):
    def make(out):
        inits = []
        if opset < 13:
            node = helper.make_node("Split", ["x"], ["a", "b"], axis=1,
                                    split=[2, 6], name="split")
        elif opset < 18:
            node = helper.make_node("Split", ["x", "sizes"], ["a", "b"],
                                    axis=1, name="split")
            inits = [i64("sizes", [2, 6])]
        else:
            node = helper.make_node("Split", ["x"], ["a", "b", "c"], axis=1,
                                    num_outputs=3, name="split")
        sizes = [2, 6] if opset < 18 else [3, 3, 2]
        outs = [tensor_input(n, F32, ["n", size]) for n, size in zip(node.output, sizes)]
        save(model([node], [tensor_input("x", F32, ["n", 8])], outs, inits,
                   opset=opset), out)
    return make


def slice_reshape(opset):
    """Slice with starts/ends/axes attributes (before opset 10) and Reshape
    with a shape attribute (before opset 5), or their input forms."""
    def make(out):
        inits = []
        if opset < 10:
            nodes = [helper.make_node("Slice", ["x"], ["s"], starts=[1, -3],
                                      ends=[1000, -1], axes=[0, 2], name="slice")]
        else:
            nodes = [helper.make_node("Slice", ["x", "starts", "ends", "axes"],
                                      ["s"], name="slice")]
            inits += [i64("starts", [1, -3]), i64("ends", [1000, -1]),
                      i64("axes", [0, 2])]
        if opset < 5:
            nodes.append(helper.make_node("Reshape", ["s"], ["r"], shape=[0, -1],
                                          name="reshape"))
        else:
            nodes.append(helper.make_node("Reshape", ["s", "shape"], ["r"],
                                          name="reshape"))
            inits.append(i64("shape", [0, -1]))
        save(model(nodes, [tensor_input("x", F32, [4, "n", 8])],
                   [tensor_input("r", F32, [3, None])], inits, opset=opset), out)
    return make


def range_opset27(out):
    """Range-27 added stash_type, the precision of f16 ranges."""
    node = helper.make_node("Range", ["start", "limit", "delta"], ["r"],
                            stash_type=1, name="range")
    inits = [const(n, np.array(v, dtype=np.float16))
             for n, v in [("start", 0), ("limit", 6), ("delta", 1.5)]]
    save(model([node], [], [tensor_input("r", TensorProto.FLOAT16, [4])], inits,
               opset=27, ir_version=13), out)


def softmax11(axis, rank):
    def make(out):
        shape = ["n", 4, 8][-rank:]
        node = helper.make_node("Softmax", ["x"], ["y"], axis=axis,
                                name="softmax")
        save(model([node], [tensor_input("x", F32, shape)],
                   [tensor_input("y", F32, shape)], opset=11), out)
    return make


#===----------------------------------------------------------------------===#
# Node forms
#===----------------------------------------------------------------------===#

def constant_forms(out):
    tensor = helper.make_tensor("t", F32, [2, 2], [1.0, 2.0, 3.0, 4.0])
    nodes = [
        helper.make_node("Constant", [], ["c_value"], value=tensor, name="value"),
        helper.make_node("Constant", [], ["c_float"], value_float=1.5,
                         name="value_float"),
        helper.make_node("Constant", [], ["c_floats"],
                         value_floats=[0.25, -1.0], name="value_floats"),
        helper.make_node("Constant", [], ["c_int"], value_int=7,
                         name="value_int"),
        helper.make_node("Constant", [], ["c_ints"], value_ints=[1, -2, 3],
                         name="value_ints"),
    ]
    outs = [tensor_input("c_value", F32, [2, 2]),
            tensor_input("c_float", F32, []),
            tensor_input("c_floats", F32, [2]),
            tensor_input("c_int", I64, []),
            tensor_input("c_ints", I64, [3])]
    save(model(nodes, [], outs), out)


def constant_string(out):
    node = helper.make_node("Constant", [], ["c"], value_string="hello",
                            name="greeting")
    save(model([node], [], [tensor_input("c", TensorProto.STRING, [])]), out)


def cast(out):
    nodes = [
        helper.make_node("Cast", ["x"], ["h"], to=TensorProto.FLOAT16, name="to_f16"),
        helper.make_node("Cast", ["x"], ["i"], to=I64, name="to_i64"),
        helper.make_node("Cast", ["x"], ["b"], to=TensorProto.BOOL, name="to_bool"),
        helper.make_node("Cast", ["x"], ["u"], to=TensorProto.UINT8, name="to_u8"),
        helper.make_node("Cast", ["x"], ["e"], to=TensorProto.FLOAT8E4M3FN,
                         saturate=0, name="to_f8"),
    ]
    outs = [tensor_input(n, t, ["n", 3]) for n, t in
            [("h", TensorProto.FLOAT16), ("i", I64), ("b", TensorProto.BOOL),
             ("u", TensorProto.UINT8), ("e", TensorProto.FLOAT8E4M3FN)]]
    save(model(nodes, [tensor_input("x", F32, ["n", 3])], outs, opset=19), out)


def slice_optional(out):
    nodes = [
        # axes omitted, steps given.
        helper.make_node("Slice", ["x", "starts", "ends", "", "steps"], ["a"],
                         name="no_axes"),
        # axes given, steps omitted (a trailing empty name).
        helper.make_node("Slice", ["x", "starts1", "ends1", "axes1", ""], ["b"],
                         name="no_steps"),
        # Only the required inputs.
        helper.make_node("Slice", ["x", "starts", "ends"], ["c"], name="bare"),
    ]
    inits = [i64("starts", [0, 1]), i64("ends", [4, 100]), i64("steps", [2, 3]),
             i64("starts1", [-3]), i64("ends1", [-1]), i64("axes1", [1])]
    save(model(nodes, [tensor_input("x", F32, [4, 10])],
               [tensor_input("a", F32, [2, 3]), tensor_input("b", F32, [4, 2]),
                tensor_input("c", F32, [4, 9])], inits), out)


def unsupported_ops(out):
    nodes = [
        helper.make_node("Relu", ["x"], ["r"], name="ok"),
        helper.make_node("FrobnicateTensor", ["r"], ["f"], name="mystery"),
        helper.make_node("FusedMatMul", ["f", "f"], ["m"], domain="com.microsoft",
                         name="ms_matmul"),
        helper.make_node("Conv", ["m", "m"], ["c"], name="conv0"),
        helper.make_node("Gelu", ["c"], ["g"]),
        helper.make_node("Widget", ["g"], ["w"], domain="org.example",
                         name="widget"),
    ]
    save(model(nodes, [tensor_input("x", F32, [1, 1, 4, 4])],
               [tensor_input("w", F32, None)], opset=20,
               extra_opsets=[("com.microsoft", 1)]), out)


def ops_newer_than_opset(out):
    """Operators used in a model whose opset predates them."""
    nodes = [
        helper.make_node("LayerNormalization", ["x", "scale"], ["n"], name="ln"),
        helper.make_node("Gelu", ["n"], ["g"], name="gelu"),
    ]
    save(model(nodes, [tensor_input("x", F32, [2, 4])],
               [tensor_input("g", F32, [2, 4])],
               [const("scale", np.ones(4, dtype=np.float32))], opset=16), out)


#===----------------------------------------------------------------------===#
# Malformed models
#===----------------------------------------------------------------------===#

def relu_model(opset=18):
    node = helper.make_node("Relu", ["x"], ["y"], name="relu")
    return model([node], [tensor_input("x", F32, [2])],
                 [tensor_input("y", F32, [2])], opset=opset)


def write_bytes(out, data):
    with open(out, "wb") as f:
        f.write(data)


def empty_file(out):
    write_bytes(out, b"")


def truncated(out):
    data = relu_model().SerializeToString()
    write_bytes(out, data[: len(data) // 2])


def random_bytes(out):
    write_bytes(out, np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())


def text_file(out):
    write_bytes(out, b"this is not a model, it is a text file\nwith two lines\n")


def missing_graph(out):
    m = relu_model()
    m.ClearField("graph")
    save(m, out)


def missing_default_opset(out):
    m = relu_model()
    del m.opset_import[:]
    m.opset_import.add(domain="com.microsoft", version=1)
    save(m, out)


def opset_too_new(out):
    save(relu_model(opset=28), out)


def undefined_input(out):
    node = helper.make_node("Add", ["x", "nowhere"], ["y"], name="add")
    save(model([node], [tensor_input("x", F32, [2])],
               [tensor_input("y", F32, [2])]), out)


def wrong_input_count(out):
    node = helper.make_node("Add", ["x", "x", "x"], ["y"], name="add3")
    save(model([node], [tensor_input("x", F32, [2])],
               [tensor_input("y", F32, [2])]), out)


def wrong_output_type(out):
    node = helper.make_node("Transpose", ["x"], ["y"], name="transpose")
    save(model([node], [tensor_input("x", F32, [2, 3])],
               [tensor_input("y", F32, [2, 3])]), out)


def unsorted_graph(out):
    nodes = [helper.make_node("Mul", ["a", "x"], ["y"], name="second"),
             helper.make_node("Relu", ["x"], ["a"], name="first")]
    save(model(nodes, [tensor_input("x", F32, [3])],
               [tensor_input("y", F32, [3])]), out)


#===----------------------------------------------------------------------===#
# Transformer blocks
#===----------------------------------------------------------------------===#

class Builder:
    """Collects nodes and initializers of one graph."""

    def __init__(self, seed):
        self.nodes, self.inits = [], []
        self.rng = np.random.default_rng(seed)
        self.count = 0

    def fresh(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def op(self, op_type, inputs, n_out=1, name=None, **attrs):
        name = name or self.fresh(op_type.lower())
        outs = [f"{name}_out{i}" if n_out > 1 else f"{name}_out"
                for i in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=name, **attrs))
        return outs if n_out > 1 else outs[0]

    def weight(self, name, shape, scale=0.02):
        self.inits.append(const(name, (self.rng.standard_normal(shape) * scale).astype(np.float32)))
        return name

    def ints(self, name, values):
        self.inits.append(i64(name, values))
        return name

    def scalar(self, name, value, dtype=np.float32):
        self.inits.append(const(name, np.array(value, dtype=dtype)))
        return name

    def dim(self, shape_of, index):
        """Unsqueeze(Gather(Shape(x), index)): a 1-element dynamic dim."""
        shape = self.op("Shape", [shape_of])
        idx = self.fresh("idx")
        self.inits.append(i64(idx, index))
        gathered = self.op("Gather", [shape, idx], axis=0)
        return self.op("Unsqueeze", [gathered, self.ints(self.fresh("axes"), [0])])


def gpt2_block(out):
    hidden, heads, head_dim, ffn, max_pos = 256, 4, 64, 1024, 128
    b = Builder(2)
    x = "hidden_states"
    batch, seq = b.dim(x, 0), b.dim(x, 1)
    ln1 = b.op("LayerNormalization", [x, b.weight("ln1.weight", [hidden]),
                                      b.weight("ln1.bias", [hidden])],
               name="ln_1", axis=-1, epsilon=1e-5)
    qkv = b.op("Add", [b.op("MatMul", [ln1, b.weight("attn.c_attn.weight", [hidden, 3 * hidden])],
                            name="c_attn"),
                       b.weight("attn.c_attn.bias", [3 * hidden])])
    q, k, v = b.op("Split", [qkv, b.ints("split_sizes", [hidden] * 3)], n_out=3,
                   name="split_qkv", axis=2)
    heads_shape = b.op("Concat", [batch, seq, b.ints("heads_dims", [heads, head_dim])],
                       name="heads_shape", axis=0)
    qh = b.op("Transpose", [b.op("Reshape", [q, heads_shape], name="reshape_q")],
              name="q_heads", perm=[0, 2, 1, 3])
    kt = b.op("Transpose", [b.op("Reshape", [k, heads_shape], name="reshape_k")],
              name="k_heads_t", perm=[0, 2, 3, 1])
    vh = b.op("Transpose", [b.op("Reshape", [v, heads_shape], name="reshape_v")],
              name="v_heads", perm=[0, 2, 1, 3])
    scores = b.op("Div", [b.op("MatMul", [qh, kt], name="qk"),
                          b.scalar("scale", np.sqrt(head_dim))], name="scores")
    causal = np.tril(np.ones((max_pos, max_pos), dtype=bool)).reshape(1, 1, max_pos, max_pos)
    b.inits.append(const("attn.bias", causal))
    zero = b.ints("zero", [0])
    mask = b.op("Slice", [b.op("Slice", ["attn.bias", zero, seq, b.ints("axis2", [2])],
                               name="mask_rows"),
                          zero, seq, b.ints("axis3", [3])], name="mask")
    masked = b.op("Where", [mask, scores, b.scalar("masked_value", -1e4)], name="masked")
    probs = b.op("Softmax", [masked], name="softmax", axis=-1)
    ctx = b.op("Transpose", [b.op("MatMul", [probs, vh], name="pv")], name="merge",
               perm=[0, 2, 1, 3])
    merged_shape = b.op("Concat", [batch, seq, b.ints("hidden_dim", [hidden])],
                        name="merged_shape", axis=0)
    attn = b.op("Reshape", [ctx, merged_shape], name="reshape_ctx")
    attn = b.op("Add", [b.op("MatMul", [attn, b.weight("attn.c_proj.weight", [hidden, hidden])],
                             name="c_proj"),
                        b.weight("attn.c_proj.bias", [hidden])])
    h = b.op("Add", [x, attn], name="residual_1")
    ln2 = b.op("LayerNormalization", [h, b.weight("ln2.weight", [hidden]),
                                      b.weight("ln2.bias", [hidden])],
               name="ln_2", axis=-1, epsilon=1e-5)
    fc = b.op("Add", [b.op("MatMul", [ln2, b.weight("mlp.c_fc.weight", [hidden, ffn])],
                           name="c_fc"),
                      b.weight("mlp.c_fc.bias", [ffn])])
    # Gelu as exported by torch without the Gelu op: x/2 * (1 + erf(x/sqrt 2)).
    erf = b.op("Erf", [b.op("Div", [fc, b.scalar("sqrt2", np.sqrt(2))])], name="gelu_erf")
    gelu = b.op("Mul", [b.op("Mul", [fc, b.scalar("half", 0.5)]),
                        b.op("Add", [erf, b.scalar("one", 1.0)])], name="gelu")
    mlp = b.op("Add", [b.op("MatMul", [gelu, b.weight("mlp.c_proj.weight", [ffn, hidden])],
                            name="mlp_proj"),
                       b.weight("mlp.c_proj.bias", [hidden])])
    b.op("Add", [h, mlp], name="residual_2")
    out_name = b.nodes[-1].output[0]
    save(model(b.nodes, [tensor_input(x, F32, ["batch", "sequence", hidden])],
               [tensor_input(out_name, F32, ["batch", "sequence", hidden])],
               b.inits, opset=18), out)


def llama_block(out):
    hidden, heads, kv_heads, head_dim, ffn, max_pos = 256, 4, 2, 64, 512, 128
    b = Builder(3)
    x, pos = "hidden_states", "position_ids"

    def rms_norm(value, weight_name):
        var = b.op("ReduceMean", [b.op("Pow", [value, b.scalar(b.fresh("two"), 2.0)]),
                                  b.ints(b.fresh("last"), [-1])], keepdims=1)
        denom = b.op("Sqrt", [b.op("Add", [var, b.scalar(b.fresh("eps"), 1e-6)])])
        return b.op("Mul", [b.weight(weight_name, [hidden], 1.0), b.op("Div", [value, denom])])

    batch, seq = b.dim(x, 0), b.dim(x, 1)
    h = rms_norm(x, "input_layernorm.weight")
    q = b.op("MatMul", [h, b.weight("q_proj.weight", [hidden, heads * head_dim])], name="q_proj")
    k = b.op("MatMul", [h, b.weight("k_proj.weight", [hidden, kv_heads * head_dim])], name="k_proj")
    v = b.op("MatMul", [h, b.weight("v_proj.weight", [hidden, kv_heads * head_dim])], name="v_proj")
    q = b.op("Transpose", [b.op("Reshape", [q, b.ints("q_shape", [0, 0, heads, head_dim])],
                                name="reshape_q")], name="q_heads", perm=[0, 2, 1, 3])
    k = b.op("Transpose", [b.op("Reshape", [k, b.ints("kv_shape", [0, 0, kv_heads, head_dim])],
                                name="reshape_k")], name="k_heads", perm=[0, 2, 1, 3])
    v = b.op("Transpose", [b.op("Reshape", [v, "kv_shape"], name="reshape_v")],
             name="v_heads", perm=[0, 2, 1, 3])

    # Rotary embedding: cos/sin rows picked by position, rotate_half by
    # Slice/Neg/Concat.
    inv = 1.0 / (10000 ** (np.arange(0, head_dim, 2) / head_dim))
    angles = np.outer(np.arange(max_pos), inv)
    angles = np.concatenate([angles, angles], axis=-1)
    b.inits.append(const("cos_cached", np.cos(angles).astype(np.float32)))
    b.inits.append(const("sin_cached", np.sin(angles).astype(np.float32)))
    unsq1 = b.ints("axis1", [1])
    cos = b.op("Unsqueeze", [b.op("Gather", ["cos_cached", pos], name="cos"), unsq1],
               name="cos_heads")
    sin = b.op("Unsqueeze", [b.op("Gather", ["sin_cached", pos], name="sin"), unsq1],
               name="sin_heads")
    half_dim, last = b.ints("half_dim", [head_dim // 2]), b.ints("axis_last", [3])
    zero, big = b.ints("zero", [0]), b.ints("int_max", [np.iinfo(np.int64).max])

    def rope(t, tag):
        x1 = b.op("Slice", [t, zero, half_dim, last], name=f"{tag}_x1")
        x2 = b.op("Slice", [t, half_dim, big, last], name=f"{tag}_x2")
        rotated = b.op("Concat", [b.op("Neg", [x2]), x1], name=f"{tag}_rotated", axis=-1)
        return b.op("Add", [b.op("Mul", [t, cos]), b.op("Mul", [rotated, sin])],
                    name=f"{tag}_rope")

    q, k = rope(q, "q"), rope(k, "k")

    # Grouped-query attention: each KV head serves heads / kv_heads queries.
    groups = heads // kv_heads

    def repeat_kv(t, tag):
        expanded_shape = b.op("Concat", [batch, b.ints(f"{tag}_kv", [kv_heads, groups]), seq,
                                         b.ints(f"{tag}_hd", [head_dim])], axis=0)
        expanded = b.op("Expand", [b.op("Unsqueeze", [t, b.ints(f"{tag}_axis2", [2])]),
                                   expanded_shape], name=f"{tag}_expand")
        merged_shape = b.op("Concat", [batch, b.ints(f"{tag}_heads", [heads]), seq,
                                       b.ints(f"{tag}_hd2", [head_dim])], axis=0)
        return b.op("Reshape", [expanded, merged_shape], name=f"{tag}_repeat")

    k, v = repeat_kv(k, "k"), repeat_kv(v, "v")
    scores = b.op("Mul", [b.op("MatMul", [q, b.op("Transpose", [k], perm=[0, 1, 3, 2])],
                               name="qk"),
                          b.scalar("scale", 1.0 / np.sqrt(head_dim))], name="scores")
    square = b.op("Concat", [seq, seq], name="square", axis=0)
    ones = b.op("ConstantOfShape", [square], name="ones",
                value=helper.make_tensor("one", TensorProto.BOOL, [1], [True]))
    causal = b.op("Trilu", [ones], name="causal", upper=0)
    masked = b.op("Where", [causal, scores, b.scalar("neg_inf", -np.inf)], name="masked")
    probs = b.op("Softmax", [masked], name="softmax", axis=-1)
    ctx = b.op("Transpose", [b.op("MatMul", [probs, v], name="pv")], name="merge",
               perm=[0, 2, 1, 3])
    ctx = b.op("Reshape", [ctx, b.ints("merged_shape", [0, 0, hidden])], name="reshape_ctx")
    h1 = b.op("Add", [x, b.op("MatMul", [ctx, b.weight("o_proj.weight", [hidden, hidden])],
                               name="o_proj")], name="residual_1")
    h2 = rms_norm(h1, "post_attention_layernorm.weight")
    gate = b.op("MatMul", [h2, b.weight("gate_proj.weight", [hidden, ffn])], name="gate_proj")
    up = b.op("MatMul", [h2, b.weight("up_proj.weight", [hidden, ffn])], name="up_proj")
    silu = b.op("Mul", [gate, b.op("Sigmoid", [gate])], name="silu")
    down = b.op("MatMul", [b.op("Mul", [silu, up]), b.weight("down_proj.weight", [ffn, hidden])],
                name="down_proj")
    b.op("Add", [h1, down], name="residual_2")
    out_name = b.nodes[-1].output[0]
    save(model(b.nodes, [tensor_input(x, F32, ["batch", "sequence", hidden]),
                         tensor_input(pos, I64, ["batch", "sequence"])],
               [tensor_input(out_name, F32, ["batch", "sequence", hidden])],
               b.inits, opset=18), out)


CASES = {
    "symbolic_dims": symbolic_dims,
    "initializers": initializers,
    "external_data": external_data,
    "external_missing_file": external_missing_file,
    "external_bad_offset": external_bad_offset,
    "external_bad_length": external_bad_length,
    "external_outside_dir": external_outside_dir,
    "squeeze_unsqueeze_opset11": squeeze_unsqueeze(11),
    "squeeze_unsqueeze_opset13": squeeze_unsqueeze(13),
    "reduce_opset17": reduce_mean_max(17),
    "reduce_opset18": reduce_mean_max(18),
    "split_opset11": split(11),
    "split_opset13": split(13),
    "split_opset18": split(18),
    "slice_reshape_opset4": slice_reshape(4),
    "slice_reshape_opset13": slice_reshape(13),
    "range_opset27": range_opset27,
    "softmax11_last_axis": softmax11(2, 3),
    "softmax11_axis1_rank3": softmax11(1, 3),
    "softmax11_default_axis_rank2": softmax11(1, 2),
    "constant_forms": constant_forms,
    "constant_string": constant_string,
    "cast": cast,
    "slice_optional": slice_optional,
    "unsupported_ops": unsupported_ops,
    "ops_newer_than_opset": ops_newer_than_opset,
    "empty_file": empty_file,
    "truncated": truncated,
    "random_bytes": random_bytes,
    "text_file": text_file,
    "missing_graph": missing_graph,
    "missing_default_opset": missing_default_opset,
    "opset_too_new": opset_too_new,
    "undefined_input": undefined_input,
    "wrong_input_count": wrong_input_count,
    "wrong_output_type": wrong_output_type,
    "unsorted_graph": unsorted_graph,
    "gpt2_block": gpt2_block,
    "llama_block": llama_block,
}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        print(f"usage: {sys.argv[0]} CASE OUT.onnx\ncases: {', '.join(CASES)}",
              file=sys.stderr)
        return 2
    CASES[sys.argv[1]](sys.argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main())
