"""Writes examples/make_llama_block.py's model with its causal mask turned
upside down (Trilu upper=1: each query sees itself and the keys after it):
attention fuses with the mask as an operand, which the paged KV cache
cannot apply.

    python3 make_unpageable_lm.py OUT.onnx
"""
import os
import sys

import onnx
from onnx import helper

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples"))
import make_llama_block  # noqa: E402

model = make_llama_block.build()
for node in model.graph.node:
    if node.op_type == "Trilu":
        del node.attribute[:]
        node.attribute.append(helper.make_attribute("upper", 1))
onnx.save(model, sys.argv[1])
