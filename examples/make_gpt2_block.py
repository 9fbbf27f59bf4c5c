#!/usr/bin/env python3
"""Writes a small GPT-2-style decoder as ONNX, shaped the way torch.onnx /
optimum export GPT-2: input_ids and attention_mask in, logits out; token plus
learned position embeddings (positions from Range over the sequence length
read with Shape/Gather), LayerNormalization, one fused QKV MatMul+Add Split
three ways, heads through Reshape/Transpose, scores Div sqrt(d), the causal
mask Slice'd from a [1, 1, max_pos, max_pos] bool `bias` buffer and applied
with Where, the padding mask added as (1 - mask) * -10000, GELU written out
with Erf, and an LM head tied to the token embedding (MatMul with its
Transpose). Weights are fixed random numbers (seed 0).

    python3 examples/make_gpt2_block.py OUT.onnx [--layers N] [--external-data]
"""
import numpy as np
import onnx
from onnx import TensorProto, helper

import onnx_builder
from onnx_builder import GraphBuilder


def layer_norm(g, x, prefix, hidden, eps=1e-5):
    # Scale near 1 and bias near 0, as in a trained model.
    scale = g.const((1.0 + g.rng.standard_normal(hidden) * 0.1).astype(np.float32), f"{prefix}.weight")
    bias = g.weight((hidden,), f"{prefix}.bias", 0.02)
    return g.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=eps)


def linear(g, x, in_dim, out_dim, prefix, gain=1.0):
    # GPT-2's Conv1D keeps its weight as [in, out]: x @ W + b.
    w = g.weight((in_dim, out_dim), f"{prefix}.weight", gain / np.sqrt(in_dim))
    return g.op("Add", [g.op("MatMul", [x, w]), g.weight((out_dim,), f"{prefix}.bias", 0.02)])


def gelu(g, x):
    # torch.onnx's F.gelu below opset 20: x * (1 + erf(x / sqrt(2))) * 0.5.
    erf = g.op("Erf", [g.op("Div", [x, g.const(np.float32(np.sqrt(2.0)))])])
    return g.op("Mul", [g.op("Mul", [x, g.op("Add", [erf, g.const(np.float32(1.0))])]),
                        g.const(np.float32(0.5))])


def build(layers=2, hidden=64, heads=4, vocab=256, max_pos=128):
    g = GraphBuilder()
    head_dim = hidden // heads
    inner = 4 * hidden
    ids, mask = "input_ids", "attention_mask"

    def i64(values):
        return g.const(values, dtype=np.int64)

    def unsqueeze0(scalar):
        return g.op("Unsqueeze", [scalar, i64([0])])

    # Sequence length and positions, computed in the graph.
    shape = g.op("Shape", [ids])
    batch = g.op("Gather", [shape, g.const(0, dtype=np.int64)], axis=0)
    seq = g.op("Gather", [shape, g.const(1, dtype=np.int64)], axis=0)
    positions = g.op("Unsqueeze", [g.op("Range", [g.const(0, dtype=np.int64), seq, g.const(1, dtype=np.int64)]),
                                   i64([0])])

    # Weight scales: with a tied LM head, random weights make a model that
    # repeats its input token (logit x . wte[t] peaks at the last token) unless
    # the blocks outweigh the embedding in the residual stream; a small wte,
    # c_proj gain 3 and a QKV gain of 1.6 (attention that is not uniform) give
    # greedy decoding that wanders over many ids with clear top-1 margins.
    wte = g.weight((vocab, hidden), "transformer.wte.weight", 0.1)
    wpe = g.weight((max_pos, hidden), "transformer.wpe.weight", 0.1)
    x = g.op("Add", [g.op("Gather", [wte, ids], axis=0), g.op("Gather", [wpe, positions], axis=0)])

    # Padding mask: attention_mask.view(batch, -1)[:, None, None, :], then
    # (1.0 - mask) * -10000.0, added to the scores.
    flat = g.op("Reshape", [mask, g.op("Concat", [unsqueeze0(batch), i64([-1])], axis=0)])
    pad = g.op("Cast", [g.op("Unsqueeze", [flat, i64([1, 2])])], to=TensorProto.FLOAT)
    additive = g.op("Mul", [g.op("Sub", [g.const(np.float32(1.0)), pad]), g.const(np.float32(-10000.0))])

    causal = np.tril(np.ones((max_pos, max_pos), dtype=bool)).reshape(1, 1, max_pos, max_pos)
    mask_value = g.const(np.float32(np.finfo(np.float32).min))

    for i in range(layers):
        p = f"transformer.h.{i}"
        h = layer_norm(g, x, f"{p}.ln_1", hidden)
        qkv = linear(g, h, hidden, 3 * hidden, f"{p}.attn.c_attn", gain=1.6)
        q, k, v = g.op("Split", [qkv, i64([hidden] * 3)], n_out=3, axis=-1)

        # tensor.view(*tensor.size()[:-1], heads, head_dim), then permute; the
        # key's permute(0, 2, 1, 3) and transpose(-1, -2) fold into one.
        def split_heads(t, perm):
            t_shape = g.op("Shape", [t])
            dims = [unsqueeze0(g.op("Gather", [t_shape, g.const(d, dtype=np.int64)], axis=0)) for d in (0, 1)]
            new_shape = g.op("Concat", dims + [i64([heads, head_dim])], axis=0)
            return g.op("Transpose", [g.op("Reshape", [t, new_shape])], perm=perm)

        q = split_heads(q, [0, 2, 1, 3])
        kt = split_heads(k, [0, 2, 3, 1])
        v = split_heads(v, [0, 2, 1, 3])
        scores = g.op("Div", [g.op("MatMul", [q, kt]), g.const(np.float32(np.sqrt(head_dim)))])

        # causal_mask = bias[:, :, key_length - query_length:key_length, :key_length]
        q_len = g.op("Gather", [g.op("Shape", [q]), g.const(2, dtype=np.int64)], axis=0)
        k_len = g.op("Gather", [g.op("Shape", [v]), g.const(2, dtype=np.int64)], axis=0)
        bias = g.const(causal, f"{p}.attn.bias")
        rows = g.op("Slice", [bias, unsqueeze0(g.op("Sub", [k_len, q_len])), unsqueeze0(k_len), i64([2]), i64([1])])
        causal_mask = g.op("Slice", [rows, i64([0]), unsqueeze0(k_len), i64([3]), i64([1])])
        scores = g.op("Add", [g.op("Where", [causal_mask, scores, mask_value]), additive])
        probs = g.op("Softmax", [scores], axis=-1)

        ctx = g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3])
        ctx_shape = g.op("Shape", [ctx])
        dims = [unsqueeze0(g.op("Gather", [ctx_shape, g.const(d, dtype=np.int64)], axis=0)) for d in (0, 1)]
        merged = g.op("Reshape", [ctx, g.op("Concat", dims + [i64([hidden])], axis=0)])
        x = g.op("Add", [x, linear(g, merged, hidden, hidden, f"{p}.attn.c_proj", gain=3.0)])

        h = layer_norm(g, x, f"{p}.ln_2", hidden)
        h = gelu(g, linear(g, h, hidden, inner, f"{p}.mlp.c_fc"))
        x = g.op("Add", [x, linear(g, h, inner, hidden, f"{p}.mlp.c_proj", gain=3.0)])

    x = layer_norm(g, x, "transformer.ln_f", hidden)
    # lm_head.weight is transformer.wte.weight: one tensor, transposed in the graph.
    logits = g.op("MatMul", [x, g.op("Transpose", [wte], perm=[1, 0])])
    g.nodes.append(helper.make_node("Identity", [logits], ["logits"], name="/Identity_logits"))

    graph = helper.make_graph(
        g.nodes, "main_graph",
        [helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch_size", "sequence_length"]),
         helper.make_tensor_value_info(mask, TensorProto.INT64, ["batch_size", "sequence_length"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "sequence_length", vocab])],
        g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="xfc-examples")
    onnx.checker.check_model(model)
    return model


if __name__ == "__main__":
    onnx_builder.main(__doc__, build)
