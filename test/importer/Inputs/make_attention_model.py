#!/usr/bin/env python3
"""Writes a model of one ONNX Attention node for the importer lit tests.

  make_attention_model.py CASE OUT.onnx

Shapes are [batch, heads, sequence, head size] (4-D) or [batch, sequence,
heads * head size] (3-D); a dimension given as a string is symbolic.
"""
import sys

import onnx
from onnx import TensorProto, helper

F32 = TensorProto.FLOAT

# name: (opset, attributes, {input: (type, shape)}, [outputs])
CASES = {
    # 3-D MHA without masks: reshaped to heads and back.
    "mha_3d": (23, dict(q_num_heads=4, kv_num_heads=4),
               {"Q": (F32, [1, 8, 64]), "K": (F32, [1, 8, 64]), "V": (F32, [1, 8, 64])},
               ["Y"]),
    # 4-D causal self-attention (Sq == Skv): `causal`.
    "causal_4d": (23, dict(is_causal=1),
                  {"Q": (F32, [1, 4, 8, 16]), "K": (F32, [1, 4, 8, 16]),
                   "V": (F32, [1, 4, 8, 16])},
                  ["Y"]),
    # Causal with Sq != Skv: ONNX's triangle is aligned to the top left, not
    # xf.attention's `causal`; it stays a mask.
    "causal_cross": (23, dict(is_causal=1),
                     {"Q": (F32, [1, 4, 4, 16]), "K": (F32, [1, 4, 6, 16]),
                      "V": (F32, [1, 4, 6, 16])},
                     ["Y"]),
    # GQA (8 query heads over 2 kv heads) with a bool mask.
    "gqa_mask": (23, {},
                 {"Q": (F32, [1, 8, 4, 16]), "K": (F32, [1, 2, 4, 16]),
                  "V": (F32, [1, 2, 4, 16]), "attn_mask": (TensorProto.BOOL, [4, 4])},
                 ["Y"]),
    # A decode step of 3-D GQA with a KV cache of dynamic length: causal.
    "gqa_past_causal": (23, dict(is_causal=1, q_num_heads=4, kv_num_heads=2),
                        {"Q": (F32, [1, 1, 64]), "K": (F32, [1, 1, 32]),
                         "V": (F32, [1, 1, 32]), "attn_mask": None,
                         "past_key": (F32, [1, 2, "past", 16]),
                         "past_value": (F32, [1, 2, "past", 16])},
                        ["Y", "present_key", "present_value"]),
    # Softcap and the scores as an output: not fused.
    "softcap_qk": (23, dict(softcap=30.0, qk_matmul_output_mode=1, scale=0.125),
                   {"Q": (F32, [1, 4, 8, 16]), "K": (F32, [1, 4, 8, 16]),
                    "V": (F32, [1, 4, 8, 16])},
                   ["Y", "", "", "qk"]),
    # Opset 24's nonpad_kv_seqlen with a float mask shorter than K.
    "padded_kv": (24, dict(softmax_precision=TensorProto.FLOAT),
                  {"Q": (F32, [2, 4, 3, 16]), "K": (F32, [2, 4, 6, 16]),
                   "V": (F32, [2, 4, 6, 16]), "attn_mask": (F32, [2, 1, 3, 4]),
                   "past_key": None, "past_value": None,
                   "nonpad_kv_seqlen": (TensorProto.INT64, [2])},
                  ["Y"]),
    # f16 with the Softmax in f32 (softmax_precision = FLOAT).
    "softmax_f32": (23, dict(softmax_precision=TensorProto.FLOAT),
                    {"Q": (TensorProto.FLOAT16, [1, 4, 8, 16]),
                     "K": (TensorProto.FLOAT16, [1, 4, 8, 16]),
                     "V": (TensorProto.FLOAT16, [1, 4, 8, 16])},
                    ["Y"]),
    # Errors.
    "no_heads_3d": (23, {},
                    {"Q": (F32, [1, 8, 64]), "K": (F32, [1, 8, 64]), "V": (F32, [1, 8, 64])},
                    ["Y"]),
    "dynamic_head_size": (23, {},
                          {"Q": (F32, [1, 4, 8, "d"]), "K": (F32, [1, 4, 8, "d"]),
                           "V": (F32, [1, 4, 8, 16])},
                          ["Y"]),
    "bad_gqa": (23, {},
                {"Q": (F32, [1, 6, 4, 16]), "K": (F32, [1, 4, 4, 16]),
                 "V": (F32, [1, 4, 4, 16])},
                ["Y"]),
    "nonpad_opset23": (23, {},
                       {"Q": (F32, [2, 4, 3, 16]), "K": (F32, [2, 4, 6, 16]),
                        "V": (F32, [2, 4, 6, 16]), "attn_mask": None,
                        "past_key": None, "past_value": None,
                        "nonpad_kv_seqlen": (TensorProto.INT64, [2])},
                       ["Y"]),
}


def main():
    case, out = sys.argv[1], sys.argv[2]
    opset, attributes, inputs, outputs = CASES[case]
    node = helper.make_node("Attention", [n if t else "" for n, t in inputs.items()],
                            outputs, name="attn", **attributes)
    graph_inputs = [helper.make_tensor_value_info(n, t[0], t[1])
                    for n, t in inputs.items() if t]
    graph_outputs = [helper.make_tensor_value_info(n, inputs["Q"][0], None)
                     for n in outputs if n]
    graph = helper.make_graph([node], case, graph_inputs, graph_outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              ir_version=10)
    onnx.save(model, out)


if __name__ == "__main__":
    main()
