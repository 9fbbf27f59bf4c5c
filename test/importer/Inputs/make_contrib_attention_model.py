#!/usr/bin/env python3
"""Writes a model of one attention or rotary embedding node: ONNX Runtime's
com.microsoft MultiHeadAttention, GroupQueryAttention and RotaryEmbedding,
and ONNX's Attention (opset 23) and RotaryEmbedding (opset 23), for the
importer and fusion lit tests and for test/e2e/contrib_attention_vs_ort.py.

  make_contrib_attention_model.py CASE OUT.onnx

`build(case)` returns the model and random inputs for its graph inputs
(seqlens_k, total_sequence_length and the rotary caches are initializers
unless the case makes them inputs).
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT
I32 = TensorProto.INT32
I64 = TensorProto.INT64


def rotary_caches(max_len, half):
    inv_freq = 1.0 / (10000.0 ** (np.arange(half, dtype=np.float64) / half))
    angles = np.outer(np.arange(max_len, dtype=np.float64), inv_freq)
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


class Case:
    """One node, its float inputs (random normal), integer inputs (given
    values), initializers and outputs."""

    def __init__(self, node, outputs, opset=17):
        self.node, self.outputs, self.opset = node, outputs, opset
        self.inputs, self.int_inputs, self.initializers = {}, {}, []


def mha(batch=2, seq=6, kv_seq=None, heads=4, head=8, past=0, bias=False,
        key_padding_mask=False, attention_bias=False, **attrs):
    """MultiHeadAttention with 3-D query/key/value [B, S, H * D]."""
    kv_seq = seq if kv_seq is None else kv_seq
    hidden, total = heads * head, past + kv_seq
    names = ["query", "key", "value", "", "", "", "", ""]
    inputs = {"query": [batch, seq, hidden], "key": [batch, kv_seq, hidden],
              "value": [batch, kv_seq, hidden]}
    int_inputs = {}
    if bias:
        names[3] = "bias"
        inputs["bias"] = [3 * hidden]
    if key_padding_mask:
        names[4] = "key_padding_mask"
        mask = np.ones([batch, total], np.int32)
        mask[-1, -1] = 0  # the last key of the last sequence is padding
        int_inputs["key_padding_mask"] = mask
    if attention_bias:
        names[5] = "attention_bias"
        inputs["attention_bias"] = [1, heads, seq, total]
    outputs = [("output", [batch, seq, hidden])]
    if past:
        names[6:8] = ["past_key", "past_value"]
        inputs["past_key"] = inputs["past_value"] = [batch, heads, past, head]
        outputs += [("present_key", [batch, heads, total, head]),
                    ("present_value", [batch, heads, total, head])]
    while names and not names[-1]:
        names.pop()
    case = Case(helper.make_node("MultiHeadAttention", names, [n for n, _ in outputs],
                                 domain="com.microsoft", num_heads=heads, **attrs),
                outputs)
    case.inputs, case.int_inputs = inputs, int_inputs
    return case


def gqa(batch=1, seq=6, heads=4, kv_heads=2, head=8, past=0, packed=False,
        rotary=None, max_len=32, seqlens=None, total=None, runtime_lengths=False,
        attention_bias=False, **attrs):
    """GroupQueryAttention. Every row is full (seqlens_k = past + seq - 1,
    total_sequence_length = past + seq) unless `seqlens` gives each row's
    token count (past and new) and `total` the total length; with
    `runtime_lengths` both are graph inputs instead of initializers."""
    total = past + seq if total is None else total
    lengths = np.array(seqlens if seqlens else [past + seq] * batch, np.int32)
    inputs = {}
    if packed:
        inputs["query"] = [batch, seq, (heads + 2 * kv_heads) * head]
        names = ["query", "", ""]
    else:
        inputs["query"] = [batch, seq, heads * head]
        inputs["key"] = inputs["value"] = [batch, seq, kv_heads * head]
        names = ["query", "key", "value"]
    if past:
        inputs["past_key"] = inputs["past_value"] = [batch, kv_heads, past, head]
        names += ["past_key", "past_value"]
    else:
        names += ["", ""]
    names += ["seqlens_k", "total_sequence_length"]
    seqlens_k = lengths - 1
    total_array = np.array(total, np.int32)
    initializers, int_inputs = [], {}
    if runtime_lengths:
        int_inputs = {"seqlens_k": seqlens_k, "total_sequence_length": total_array}
    else:
        initializers = [numpy_helper.from_array(seqlens_k, "seqlens_k"),
                        numpy_helper.from_array(total_array, "total_sequence_length")]
    if rotary is not None:
        cos, sin = rotary_caches(max_len, head // 2)
        initializers += [numpy_helper.from_array(cos, "cos_cache"),
                         numpy_helper.from_array(sin, "sin_cache")]
        names += ["cos_cache", "sin_cache"]
        attrs.update(do_rotary=1, rotary_interleaved=int(rotary == "interleaved"))
    if attention_bias:
        names += [""] * (10 - len(names)) + ["attention_bias"]
        inputs["attention_bias"] = [1, heads, seq, total]
    present = max(total, past)
    outputs = [("output", [batch, seq, heads * head]),
               ("present_key", [batch, kv_heads, present, head]),
               ("present_value", [batch, kv_heads, present, head])]
    case = Case(helper.make_node("GroupQueryAttention", names, [n for n, _ in outputs],
                                 domain="com.microsoft", num_heads=heads,
                                 kv_num_heads=kv_heads, **attrs), outputs)
    case.inputs, case.int_inputs, case.initializers = inputs, int_inputs, initializers
    return case


def attention(q, k, v, past=None, heads=None, **attrs):
    """ONNX Attention (opset 23) on Q, K, V of the given shapes (3-D with
    `heads` = (q_num_heads, kv_num_heads), or 4-D); `past` [B, Hkv, P, D]."""
    names = ["Q", "K", "V"]
    inputs = {"Q": q, "K": k, "V": v}
    if heads:
        attrs.update(q_num_heads=heads[0], kv_num_heads=heads[1])
    outputs = [("Y", None)]
    if past:
        names += ["", "past_key", "past_value"]
        inputs["past_key"] = inputs["past_value"] = past
        outputs += [("present_key", None), ("present_value", None)]
    case = Case(helper.make_node("Attention", names, [n for n, _ in outputs], **attrs),
                outputs, opset=23)
    case.inputs = inputs
    return case


def rotary(x, positions=None, max_len=32, rotary_dim=None, contrib=False,
           table_shape=None, half=None, **attrs):
    """RotaryEmbedding (ONNX's, or com.microsoft's with `contrib`) of an
    input of shape `x`; `positions`: position_ids values, or None for
    ONNX's 3-D tables of `table_shape`; `half`: the tables' width when no
    attribute says it."""
    if half is None:
        half = (rotary_dim or (x[-1] if len(x) == 4 else x[-1] // attrs["num_heads"])) // 2
    if rotary_dim:
        attrs["rotary_embedding_dim"] = rotary_dim
    cos, sin = rotary_caches(max_len, half)
    inits = []
    if positions is None:
        rng = np.random.default_rng(1)
        angles = rng.uniform(0, 6.3, table_shape + [half])
        cos, sin = np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)
    inits = [numpy_helper.from_array(cos, "cos_cache"), numpy_helper.from_array(sin, "sin_cache")]
    names = ["input", "cos_cache", "sin_cache"]
    if contrib:
        names = ["input", "position_ids", "cos_cache", "sin_cache"]
    elif positions is not None:
        names.append("position_ids")
    node = helper.make_node("RotaryEmbedding", names, ["output"],
                            domain="com.microsoft" if contrib else "", **attrs)
    case = Case(node, [("output", x)], opset=17 if contrib else 23)
    case.inputs = {"input": x}
    if positions is not None:
        case.int_inputs = {"position_ids": np.array(positions, np.int64)}
    case.initializers = inits
    return case


CASES = {
    # Packed input bias, padding mask [B, total] (one key of batch 1 padded)
    # and an additive attention_bias.
    "mha_bias_masks": lambda: mha(bias=True, key_padding_mask=True, attention_bias=True),
    # Causal decode-style step with a KV cache: 3 new tokens after 5.
    "mha_causal_past": lambda: mha(seq=3, past=5, unidirectional=1),
    # Causal prompt with an explicit scale.
    "mha_causal_scale": lambda: mha(unidirectional=1, scale=0.2),
    # GQA prompt (no past) with rotate-half rotary embedding (ONNX
    # Runtime's rotary needs a head size that is a multiple of 16).
    "gqa_prompt_rotary": lambda: gqa(rotary="half", head=16),
    # GQA prompt of two equally long sequences, without rotary.
    "gqa_prompt_batch2": lambda: gqa(batch=2, seq=5),
    # GQA decode step after 5 tokens, interleaved rotary.
    "gqa_decode_interleaved": lambda: gqa(seq=1, past=5, rotary="interleaved", head=16),
    # GQA with packed QKV and a past of 3, 2 new tokens, rotate-half.
    "gqa_packed_past": lambda: gqa(seq=2, past=3, packed=True, rotary="half", head=16),
    # MQA (one kv head), 3 new tokens after 4.
    "gqa_mqa_past": lambda: gqa(seq=3, past=4, kv_heads=1, head=16),
    # Sliding window: a prompt of 10 tokens with a window of 4, and a decode
    # step over a past of 12.
    "gqa_window_prompt": lambda: gqa(seq=10, head=16, rotary="half", local_window_size=4),
    "gqa_window_decode": lambda: gqa(batch=2, seq=1, past=12, head=16, rotary="half",
                                     local_window_size=4),
    # Softcap (Gemma 2), alone and with a window and interleaved rotary.
    "gqa_softcap": lambda: gqa(batch=2, seq=5, head=16, rotary="half", softcap=2.0),
    "gqa_softcap_window": lambda: gqa(seq=9, head=16, rotary="interleaved", softcap=2.0,
                                      local_window_size=3, scale=0.3),
    # attention_bias added after the softcap.
    "gqa_attention_bias": lambda: gqa(seq=4, past=2, head=16, rotary="half",
                                      attention_bias=True),
    # Ragged rows. A right-padded first prompt: the second sequence has 3
    # tokens of 5 (its padding queries see its 3 keys).
    "gqa_ragged_prompt": lambda: gqa(batch=2, seq=5, head=16, rotary="half",
                                     seqlens=[5, 3]),
    # A decode step where the second row holds 4 tokens of a 7-token past
    # buffer: its new key goes to position 4.
    "gqa_ragged_decode": lambda: gqa(batch=2, seq=1, past=7, head=16, rotary="half",
                                     seqlens=[8, 5]),
    # The same with a window of 3 and packed QKV.
    "gqa_ragged_decode_window": lambda: gqa(batch=2, seq=1, past=7, head=16,
                                            rotary="interleaved", packed=True,
                                            seqlens=[8, 5], local_window_size=3),
    # A shared past-present buffer of 10 (longer than total = 7).
    "gqa_ragged_buffer": lambda: gqa(batch=2, seq=1, past=10, head=16, rotary="half",
                                     seqlens=[7, 4], total=7),
    # A second prompt chunk (3 tokens) after a past of which 4 are real.
    "gqa_ragged_chunk": lambda: gqa(seq=3, past=5, head=16, rotary="half", seqlens=[7],
                                    total=8),
    # Lengths given at run time (full rows, but not provably so).
    "gqa_runtime_lengths": lambda: gqa(batch=2, seq=1, past=4, head=16, rotary="half",
                                       local_window_size=3, runtime_lengths=True),
    # ONNX Attention: GQA heads with causal and softcap, MQA with a past in
    # 3-D, and causal with fewer queries than keys (top-left aligned).
    "onnx_gqa_causal_softcap": lambda: attention([2, 8, 5, 16], [2, 2, 5, 16], [2, 2, 5, 16],
                                                 is_causal=1, softcap=2.0),
    "onnx_mqa_past": lambda: attention([2, 3, 64], [2, 3, 16], [2, 3, 16],
                                       past=[2, 1, 4, 16], heads=(4, 1), is_causal=1),
    "onnx_causal_cross": lambda: attention([1, 4, 3, 16], [1, 4, 6, 16], [1, 4, 6, 16],
                                           is_causal=1, scale=0.2),
    # RotaryEmbedding: ONNX's on BNSH input, 3-D input with a partial
    # interleaved rotation, per-token tables; ONNX Runtime's 3-D, with one
    # position offset, and 4-D partial.
    "onnx_rotary_4d": lambda: rotary([2, 4, 5, 16], positions=[[0, 1, 2, 3, 4], [7, 3, 9, 1, 0]]),
    "onnx_rotary_3d_partial": lambda: rotary([2, 5, 64], positions=[[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]],
                                             num_heads=4, rotary_dim=8, interleaved=1),
    "onnx_rotary_tables": lambda: rotary([2, 4, 5, 16], table_shape=[2, 5]),
    "ms_rotary_3d": lambda: rotary([2, 5, 64], positions=[[0, 1, 2, 3, 4], [9, 8, 7, 6, 5]],
                                   contrib=True, num_heads=4),
    "ms_rotary_offset": lambda: rotary([2, 5, 64], positions=[7], contrib=True, num_heads=4,
                                       interleaved=1),
    "ms_rotary_4d_partial": lambda: rotary([2, 4, 5, 16], positions=[[0, 1, 2, 3, 4]] * 2,
                                           contrib=True, num_heads=4, rotary_dim=8),
    # Without num_heads, heads as wide as the rotation (2 * the tables'
    # width).
    "ms_rotary_no_heads": lambda: rotary([2, 5, 64], positions=[[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]],
                                         contrib=True, half=8),
    # Refused forms.
    "mha_packed_qkv": None,
    "gqa_smooth_softmax": lambda: gqa(smooth_softmax=1),
    "gqa_head_sink": lambda: gqa_head_sink(),
    "gqa_window_zero": lambda: gqa(local_window_size=0),
}


def gqa_head_sink():
    case = gqa()
    case.node.input.extend(["", "", "", "", "head_sink"])
    case.inputs["head_sink"] = [4]
    return case


def build(case, seed=0):
    """(model, {input name: array}) for CASES[case]."""
    if case == "mha_packed_qkv":
        c = Case(helper.make_node("MultiHeadAttention", ["query"], ["output"],
                                  domain="com.microsoft", num_heads=4),
                 [("output", [1, 6, 32])])
        c.inputs = {"query": [1, 6, 4, 3, 8]}
    else:
        c = CASES[case]()
    graph = helper.make_graph(
        [c.node], case,
        [helper.make_tensor_value_info(n, F32, s) for n, s in c.inputs.items()] +
        [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
         for n, a in c.int_inputs.items()],
        [helper.make_tensor_value_info(n, F32, s) for n, s in c.outputs],
        initializer=c.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", c.opset),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 9 if c.opset >= 23 else 8
    rng = np.random.default_rng(seed)
    feeds = {n: rng.standard_normal(s).astype(np.float32) for n, s in c.inputs.items()}
    feeds.update(c.int_inputs)
    return model, feeds


if __name__ == "__main__":
    model, _ = build(sys.argv[1])
    onnx.save(model, sys.argv[2])
