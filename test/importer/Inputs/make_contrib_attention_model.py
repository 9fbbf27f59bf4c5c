#!/usr/bin/env python3
"""Writes a model of one com.microsoft MultiHeadAttention or
GroupQueryAttention node (ONNX Runtime's contrib attention operators), for
the importer lit tests and for test/e2e/contrib_attention_vs_ort.py.

  make_contrib_attention_model.py CASE OUT.onnx

`build(case)` returns the model and random inputs for its graph inputs
(seqlens_k, total_sequence_length and the rotary caches are initializers).
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT
I32 = TensorProto.INT32


def rotary_caches(max_len, half):
    inv_freq = 1.0 / (10000.0 ** (np.arange(half, dtype=np.float64) / half))
    angles = np.outer(np.arange(max_len, dtype=np.float64), inv_freq)
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


def mha(batch=2, seq=6, kv_seq=None, heads=4, head=8, past=0, bias=False,
        key_padding_mask=False, attention_bias=False, **attrs):
    """MultiHeadAttention with 3-D query/key/value [B, S, H * D]."""
    kv_seq = seq if kv_seq is None else kv_seq
    hidden, total = heads * head, past + kv_seq
    inputs = {"query": [batch, seq, hidden], "key": [batch, kv_seq, hidden],
              "value": [batch, kv_seq, hidden]}
    names = ["query", "key", "value", "", "", "", "", ""]
    initializers, int_inputs = [], {}
    if bias:
        names[3] = "bias"
        inputs["bias"] = [3 * hidden]
    if key_padding_mask:
        names[4] = "key_padding_mask"
        int_inputs["key_padding_mask"] = [batch, total]
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
    node = helper.make_node("MultiHeadAttention", names, [n for n, _ in outputs],
                            domain="com.microsoft", num_heads=heads, **attrs)
    return node, inputs, int_inputs, initializers, outputs


def gqa(batch=1, seq=6, heads=4, kv_heads=2, head=8, past=0, packed=False,
        rotary=None, max_len=32, seqlens=None, **attrs):
    """GroupQueryAttention; every row full length (seqlens_k = total - 1)
    unless `seqlens` gives each row's token count."""
    total = past + seq
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
    initializers = [
        numpy_helper.from_array(
            np.array(seqlens, np.int32) - 1 if seqlens else np.full([batch], total - 1, np.int32),
            "seqlens_k"),
        numpy_helper.from_array(np.array(total, np.int32), "total_sequence_length"),
    ]
    if rotary is not None:
        cos, sin = rotary_caches(max_len, head // 2)
        initializers += [numpy_helper.from_array(cos, "cos_cache"),
                         numpy_helper.from_array(sin, "sin_cache")]
        names += ["cos_cache", "sin_cache"]
        attrs.update(do_rotary=1, rotary_interleaved=int(rotary == "interleaved"))
    outputs = [("output", [batch, seq, heads * head]),
               ("present_key", [batch, kv_heads, total, head]),
               ("present_value", [batch, kv_heads, total, head])]
    node = helper.make_node("GroupQueryAttention", names, [n for n, _ in outputs],
                            domain="com.microsoft", num_heads=heads,
                            kv_num_heads=kv_heads, **attrs)
    return node, inputs, {}, initializers, outputs


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
    # A right-padded first prompt: the second sequence has 3 tokens of 5.
    # Only the non-padding rows agree with ONNX Runtime (see
    # contrib_attention_vs_ort.py's VALID).
    "gqa_prompt_right_padded": lambda: gqa(batch=2, seq=5, head=16, rotary="half",
                                           seqlens=[5, 3]),
    # GQA decode step after 5 tokens, interleaved rotary.
    "gqa_decode_interleaved": lambda: gqa(seq=1, past=5, rotary="interleaved", head=16),
    # GQA with packed QKV and a past of 3, 2 new tokens, rotate-half.
    "gqa_packed_past": lambda: gqa(seq=2, past=3, packed=True, rotary="half", head=16),
    # MQA (one kv head), 3 new tokens after 4.
    "gqa_mqa_past": lambda: gqa(seq=3, past=4, kv_heads=1, head=16),
    # Refused forms.
    "mha_packed_qkv": None,
    "gqa_local_window": lambda: gqa(local_window_size=4),
    "gqa_softcap": lambda: gqa(softcap=30.0),
}


def build(case, seed=0):
    """(model, {input name: array}) for CASES[case]."""
    if case == "mha_packed_qkv":
        node = helper.make_node("MultiHeadAttention", ["query"], ["output"],
                                domain="com.microsoft", num_heads=4)
        inputs, int_inputs, initializers = {"query": [1, 6, 4, 3, 8]}, {}, []
        outputs = [("output", [1, 6, 32])]
    else:
        node, inputs, int_inputs, initializers, outputs = CASES[case]()
    graph = helper.make_graph(
        [node], case,
        [helper.make_tensor_value_info(n, F32, s) for n, s in inputs.items()] +
        [helper.make_tensor_value_info(n, I32, s) for n, s in int_inputs.items()],
        [helper.make_tensor_value_info(n, F32, s) for n, s in outputs],
        initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    rng = np.random.default_rng(seed)
    feeds = {n: rng.standard_normal(s).astype(np.float32) for n, s in inputs.items()}
    for n, s in int_inputs.items():
        mask = np.ones(s, np.int32)
        mask[-1, -1] = 0  # the last key of the last sequence is padding
        feeds[n] = mask
    return model, feeds


if __name__ == "__main__":
    model, _ = build(sys.argv[1])
    onnx.save(model, sys.argv[2])
