#!/usr/bin/env python3
"""16-bit exports against onnxruntime: an example model (fp32, random
weights) converted to a float16 and a bfloat16 graph the way a converter
does it (every float initializer, input, output, value_info, Constant and
Cast target made 16-bit; the mask's large negative clamped to the format's
range), compiled by xfc, and its prompt logits (--logits, every position)
compared with:

  - onnxruntime on the 16-bit model's fp32 upcast (the same graph with every
    16-bit value widened back to f32, weights widened exactly): xfc computes
    a 16-bit graph in f32 with its weights widened as they are read, so this
    is the same function. Tolerance 1e-4 of the row's largest |logit|, the
    fp32 e2e tests' bound (summation order only).
  - onnxruntime on the float16 model itself (ORT casts what its CPU kernels
    lack to f32 and back, so activations are rounded to f16 between ops):
    tolerance 5e-3 of the row's largest |logit| (4e-4 measured) — f16 keeps 11 bits, a
    relative step of 4.9e-4 per rounding, and a 2-layer block rounds its
    activations some 40 times on the way. ORT's CPU provider has no bf16
    MatMul, so bf16 is checked against its upcast only.

and, for the weights file:
  - the 16-bit program's .xfw is under 0.6 of the fp32 program's (weights
    stay 16-bit; norms and the like are f32);
  - --weights=f32 on the f16 model gives the same logits (1e-6) as the
    default, from an .xfw of the fp32 program's size;
  - --weights=int8 / int4 on the 16-bit model gives exactly (0 difference)
    the logits of --quantize=int8 / int4 on its fp32 upcast: quantizing
    from 16 bits gives the codes of the upcast;
  - --weights=f16 on the fp32 model stores half the bytes and stays within
    1e-2 of the row scale of the fp32 program (weights rounded to f16).

    python3 test/e2e/sixteen_bit_vs_ort.py --xfc build/bin/xfc \\
        --model-script examples/make_llama_block.py --workdir /tmp/sixteen
"""
import argparse
import os
import shlex
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

FORMATS = {"f16": TensorProto.FLOAT16, "bf16": TensorProto.BFLOAT16}


def to_bf16_bits(a):
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def from_bf16_bits(b):
    return (b.astype(np.uint32) << 16).view(np.float32)


def convert_tensor(t, to):
    """TensorProto `t` (float) as `to` (FLOAT16, BFLOAT16 or FLOAT)."""
    a = numpy_helper.to_array(t)
    if t.data_type == TensorProto.BFLOAT16:
        a = from_bf16_bits(np.asarray(a).view(np.uint16)) if a.dtype == np.uint16 else a.astype(np.float32)
    a = np.asarray(a, dtype=np.float32)
    out = TensorProto()
    out.name = t.name
    out.dims.extend(t.dims)
    if to == TensorProto.FLOAT:
        out.data_type = TensorProto.FLOAT
        out.raw_data = a.astype("<f4").tobytes()
    elif to == TensorProto.FLOAT16:
        out.data_type = TensorProto.FLOAT16
        out.raw_data = np.clip(a, -65504, 65504).astype("<f2").tobytes()
    else:
        out.data_type = TensorProto.BFLOAT16
        out.raw_data = to_bf16_bits(np.clip(a, -3.38e38, 3.38e38)).astype("<u2").tobytes()
    return out


FLOATS = (TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16)


def convert_model(model, to):
    """Every float of `model` as `to`: initializers, graph inputs/outputs,
    value_info, Constant values, ConstantOfShape values, Cast targets."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    for i, t in enumerate(g.initializer):
        if t.data_type in FLOATS:
            g.initializer[i].CopyFrom(convert_tensor(t, to))
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        if vi.type.tensor_type.elem_type in FLOATS:
            vi.type.tensor_type.elem_type = to
    for node in g.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.TENSOR and attr.t.data_type in FLOATS:
                attr.t.CopyFrom(convert_tensor(attr.t, to))
            if node.op_type == "Cast" and attr.name == "to" and attr.i in FLOATS:
                attr.i = to
    return m


def ort_logits(model, ids):
    import onnxruntime as ort
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = {}
    for inp in sess.get_inputs():
        if inp.name == "input_ids":
            feeds[inp.name] = np.array([ids], dtype=np.int64)
        elif inp.name == "attention_mask":
            feeds[inp.name] = np.ones((1, len(ids)), dtype=np.int64)
        else:
            raise SystemExit(f"unexpected input {inp.name}")
    return np.asarray(sess.run(["logits"], feeds)[0], dtype=np.float32)[0]


def program_logits(xfc, model_path, program, ids, extra=()):
    subprocess.run([xfc, model_path, "-o", program] + list(extra), check=True,
                   stderr=subprocess.DEVNULL)
    out = program + ".logits"
    subprocess.run([program, "--tokens", ",".join(map(str, ids)), "--max-tokens", "1",
                    "--logits", out], check=True, capture_output=True)
    return np.fromfile(out, dtype="<f4").reshape(len(ids), -1), os.path.getsize(program + ".xfw")


def relative(a, b):
    """Largest |a - b| per row over the row's largest |b|, worst row."""
    scale = np.maximum(np.abs(b).max(axis=1), 1e-30)
    return float((np.abs(a - b).max(axis=1) / scale).max())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--model-script", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--model-args", default="")
    parser.add_argument("--prompt-len", type=int, default=24)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    fp32_path = os.path.join(args.workdir, "fp32.onnx")
    subprocess.run([sys.executable, args.model_script, fp32_path] + shlex.split(args.model_args),
                   check=True, stdout=subprocess.DEVNULL)
    fp32 = onnx.load(fp32_path)
    ids = [i * 7 % 251 for i in range(args.prompt_len)]
    failures = []

    def check(what, value, bound):
        ok = value <= bound
        print(f"  {what}: {value:.3g} (bound {bound:g}) {'ok' if ok else 'FAIL'}")
        if not ok:
            failures.append(what)

    fp32_logits, fp32_bytes = program_logits(args.xfc, fp32_path, os.path.join(args.workdir, "fp32"), ids)
    for name, to in FORMATS.items():
        print(f"{name}:")
        model = convert_model(fp32, to)
        path = os.path.join(args.workdir, f"{name}.onnx")
        onnx.save(model, path)
        upcast = convert_model(model, TensorProto.FLOAT)
        upcast_path = os.path.join(args.workdir, f"{name}-upcast.onnx")
        onnx.save(upcast, upcast_path)
        logits, size = program_logits(args.xfc, path, os.path.join(args.workdir, name), ids)
        if not np.isfinite(logits).all():
            failures.append(f"{name}: logits not finite")
        check(f"{name} vs onnxruntime on the fp32 upcast", relative(logits, ort_logits(upcast, ids)), 1e-4)
        if name == "f16":
            check("f16 vs onnxruntime on the f16 model", relative(logits, ort_logits(model, ids)), 5e-3)
        check(f"{name} .xfw / fp32 .xfw", size / fp32_bytes, 0.6)
        if name == "f16":
            wide, wide_size = program_logits(args.xfc, path, os.path.join(args.workdir, "f16-as-f32"), ids,
                                             ["--weights=f32"])
            check("--weights=f32 vs as exported", relative(wide, logits), 1e-6)
            check("--weights=f32 .xfw / fp32 .xfw", abs(wide_size / fp32_bytes - 1), 0.02)
        for q in ("int8", "int4"):
            from16, _ = program_logits(args.xfc, path, os.path.join(args.workdir, f"{name}-{q}"), ids,
                                       [f"--weights={q}"])
            from32, _ = program_logits(args.xfc, upcast_path, os.path.join(args.workdir, f"{name}-upcast-{q}"),
                                       ids, [f"--quantize={q}"])
            check(f"--weights={q} from {name} vs --quantize={q} from its upcast",
                  float(np.abs(from16 - from32).max()), 0.0)
    print("fp32 model, --weights=f16:")
    narrowed, narrowed_size = program_logits(args.xfc, fp32_path, os.path.join(args.workdir, "fp32-as-f16"), ids,
                                             ["--weights=f16"])
    check("--weights=f16 vs fp32 program", relative(narrowed, fp32_logits), 1e-2)
    check("--weights=f16 .xfw / fp32 .xfw", narrowed_size / fp32_bytes, 0.6)
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("all 16-bit checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
