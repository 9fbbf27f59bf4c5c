#!/usr/bin/env python3
"""Writes a small Llama-style decoder as ONNX, shaped the way torch.onnx /
optimum export Llama: input_ids and attention_mask in, logits out; RMSNorm
written as Pow/ReduceMean/Add/Sqrt/Div/Mul, rotary embeddings computed in the
graph from Range, grouped-query attention with repeat_kv as
Unsqueeze/Expand/Reshape, an additive causal + padding mask, SwiGLU MLP.
Weights are fixed random numbers (seed 0).

With --with-past the model carries a KV cache in its signature, as optimum's
`with_past` / `decoder_model_merged` exports do: per layer i, inputs
past_key_values.{i}.key / .value [batch_size, kv_heads, past_sequence_length,
head_dim] and outputs present.{i}.key / .value [batch_size, kv_heads,
total_sequence_length, head_dim] (the past with the new keys, after RoPE, and
values concatenated on axis 2); attention_mask covers past and new tokens
[batch_size, total_sequence_length], positions start at past_sequence_length,
and the causal mask is [sequence, past + sequence] (query i sees keys
j <= past + i). Outputs: logits, present.0.key, present.0.value, ... The
weights are the same as without it, and with an empty past (length 0) so are
the logits.

    python3 examples/make_llama_block.py OUT.onnx [--layers N] [--external-data] [--with-past]
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import onnx_builder
from onnx_builder import GraphBuilder


def rms_norm(g, x, weight, eps=1e-6):
    var = g.op("ReduceMean", [g.op("Pow", [x, g.const(np.float32(2.0))])], axes=[-1], keepdims=1)
    denom = g.op("Sqrt", [g.op("Add", [var, g.const(np.float32(eps))])])
    return g.op("Mul", [weight, g.op("Div", [x, denom])])


def rotate_half(g, x, half):
    x1 = g.op("Slice", [x, g.const([0], dtype=np.int64), g.const([half], dtype=np.int64), g.const([-1], dtype=np.int64)])
    x2 = g.op("Slice", [x, g.const([half], dtype=np.int64), g.const([2**62], dtype=np.int64), g.const([-1], dtype=np.int64)])
    return g.op("Concat", [g.op("Neg", [x2]), x1], axis=-1)


def build(layers=2, hidden=64, heads=4, kv_heads=2, vocab=256, inter=128, theta=10000.0,
          with_past=False):
    if with_past and layers < 1:
        raise ValueError("--with-past needs at least one layer")
    g = GraphBuilder()
    head_dim = hidden // heads
    half = head_dim // 2
    ids, mask = "input_ids", "attention_mask"
    past_names = [(f"past_key_values.{i}.key", f"past_key_values.{i}.value") for i in range(layers)]
    present_names = [(f"present.{i}.key", f"present.{i}.value") for i in range(layers)]

    embed = g.weight((vocab, hidden), "model.embed_tokens.weight", 0.5)
    x = g.op("Gather", [embed, ids], axis=0)

    # Sequence length and positions, computed in the graph.
    shape = g.op("Shape", [ids])
    batch = g.op("Gather", [shape, g.const(0, dtype=np.int64)], axis=0)
    seq = g.op("Gather", [shape, g.const(1, dtype=np.int64)], axis=0)
    if with_past:
        # past_len from the cache's shape; positions past_len .. past_len + seq - 1.
        past_len = g.op("Gather", [g.op("Shape", [past_names[0][0]]), g.const(2, dtype=np.int64)], axis=0)
        total = g.op("Add", [past_len, seq])
        positions = g.op("Range", [past_len, total, g.const(1, dtype=np.int64)])
    else:
        positions = g.op("Range", [g.const(0, dtype=np.int64), seq, g.const(1, dtype=np.int64)])
    inv_freq = g.const((1.0 / theta ** (np.arange(0, head_dim, 2) / head_dim)).astype(np.float32).reshape(1, half))
    freqs = g.op("Mul", [g.op("Unsqueeze", [g.op("Cast", [positions], to=TensorProto.FLOAT), g.const([1], dtype=np.int64)]), inv_freq])
    emb = g.op("Concat", [freqs, freqs], axis=-1)
    cos = g.op("Unsqueeze", [g.op("Cos", [emb]), g.const([0, 1], dtype=np.int64)])
    sin = g.op("Unsqueeze", [g.op("Sin", [emb]), g.const([0, 1], dtype=np.int64)])

    # Additive mask: causal from Trilu on a ones matrix, padding from
    # attention_mask, combined with Where into 0 / large negative. With a
    # past the matrix is [seq, past + seq] and Trilu keeps j - i <= past_len.
    seq1 = g.op("Unsqueeze", [seq, g.const([0], dtype=np.int64)])
    if with_past:
        total1 = g.op("Unsqueeze", [total, g.const([0], dtype=np.int64)])
        square = g.op("Concat", [seq1, total1], axis=0)
    else:
        total1 = seq1
        square = g.op("Concat", [seq1, seq1], axis=0)
    ones = g.op("ConstantOfShape", [square], value=numpy_helper.from_array(np.array([1], dtype=np.int64)))
    causal = g.op("Cast", [g.op("Trilu", [ones, past_len] if with_past else [ones], upper=0)],
                  to=TensorProto.BOOL)
    pad = g.op("Cast", [g.op("Unsqueeze", [mask, g.const([1, 2], dtype=np.int64)])], to=TensorProto.BOOL)
    allowed = g.op("And", [g.op("Unsqueeze", [causal, g.const([0, 1], dtype=np.int64)]), pad])
    neg = g.const(np.float32(np.finfo(np.float32).min))
    additive = g.op("Where", [allowed, g.const(np.float32(0.0)), neg])

    for i in range(layers):
        p = f"model.layers.{i}"
        h = rms_norm(g, x, g.weight((hidden,), f"{p}.input_layernorm.weight", 0.1))

        def proj(inp, out_dim, name):
            return g.op("MatMul", [inp, g.weight((hidden, out_dim), name)])

        def split_heads(t, n):
            shp = g.op("Concat", [g.op("Unsqueeze", [batch, g.const([0], dtype=np.int64)]), seq1,
                                  g.const([n, head_dim], dtype=np.int64)], axis=0)
            return g.op("Transpose", [g.op("Reshape", [t, shp])], perm=[0, 2, 1, 3])

        q = split_heads(proj(h, heads * head_dim, f"{p}.self_attn.q_proj.weight"), heads)
        k = split_heads(proj(h, kv_heads * head_dim, f"{p}.self_attn.k_proj.weight"), kv_heads)
        v = split_heads(proj(h, kv_heads * head_dim, f"{p}.self_attn.v_proj.weight"), kv_heads)
        q = g.op("Add", [g.op("Mul", [q, cos]), g.op("Mul", [rotate_half(g, q, half), sin])])
        k = g.op("Add", [g.op("Mul", [k, cos]), g.op("Mul", [rotate_half(g, k, half), sin])])
        if with_past:
            # The cache: past then new along the sequence axis, returned as present.
            for j, t in enumerate((k, v)):
                g.nodes.append(helper.make_node("Concat", [past_names[i][j], t], [present_names[i][j]],
                                                name=g.name("/Concat"), axis=2))
            k, v = present_names[i]

        # repeat_kv: [b, kv, s, d] -> [b, kv, n_rep, s, d] -> [b, heads, s, d]
        # (s: the keys' length, past + new)
        def repeat_kv(t):
            t5 = g.op("Unsqueeze", [t, g.const([2], dtype=np.int64)])
            shp5 = g.op("Concat", [g.op("Unsqueeze", [batch, g.const([0], dtype=np.int64)]),
                                   g.const([kv_heads, heads // kv_heads], dtype=np.int64), total1,
                                   g.const([head_dim], dtype=np.int64)], axis=0)
            shp4 = g.op("Concat", [g.op("Unsqueeze", [batch, g.const([0], dtype=np.int64)]),
                                   g.const([heads], dtype=np.int64), total1,
                                   g.const([head_dim], dtype=np.int64)], axis=0)
            return g.op("Reshape", [g.op("Expand", [t5, shp5]), shp4])

        k, v = repeat_kv(k), repeat_kv(v)
        scores = g.op("Div", [g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])]),
                              g.const(np.float32(np.sqrt(head_dim)))])
        probs = g.op("Softmax", [g.op("Add", [scores, additive])], axis=-1)
        attn = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        merged = g.op("Reshape", [attn, g.op("Concat", [g.op("Unsqueeze", [batch, g.const([0], dtype=np.int64)]), seq1,
                                                        g.const([hidden], dtype=np.int64)], axis=0)])
        x = g.op("Add", [x, g.op("MatMul", [merged, g.weight((hidden, hidden), f"{p}.self_attn.o_proj.weight")])])

        h = rms_norm(g, x, g.weight((hidden,), f"{p}.post_attention_layernorm.weight", 0.1))
        gate = g.op("MatMul", [h, g.weight((hidden, inter), f"{p}.mlp.gate_proj.weight")])
        up = g.op("MatMul", [h, g.weight((hidden, inter), f"{p}.mlp.up_proj.weight")])
        act = g.op("Mul", [g.op("Mul", [gate, g.op("Sigmoid", [gate])]), up])
        x = g.op("Add", [x, g.op("MatMul", [act, g.weight((inter, hidden), f"{p}.mlp.down_proj.weight")])])

    x = rms_norm(g, x, g.weight((hidden,), "model.norm.weight", 0.1))
    logits = g.op("MatMul", [x, g.weight((hidden, vocab), "lm_head.weight")])
    g.nodes.append(helper.make_node("Identity", [logits], ["logits"], name="/Identity_logits"))

    inputs = [helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch_size", "sequence_length"]),
              helper.make_tensor_value_info(mask, TensorProto.INT64,
                                            ["batch_size", "total_sequence_length" if with_past
                                             else "sequence_length"])]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", vocab])]
    if with_past:
        for i in range(layers):
            for name in past_names[i]:
                inputs.append(helper.make_tensor_value_info(
                    name, TensorProto.FLOAT, ["batch_size", kv_heads, "past_sequence_length", head_dim]))
            for name in present_names[i]:
                outputs.append(helper.make_tensor_value_info(
                    name, TensorProto.FLOAT, ["batch_size", kv_heads, "total_sequence_length", head_dim]))
    graph = helper.make_graph(g.nodes, "main_graph", inputs, outputs, g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="xfc-examples")
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    onnx_builder.main(__doc__, build,
                      flags=[("--with-past", "KV cache inputs past_key_values.* and outputs present.*")])
