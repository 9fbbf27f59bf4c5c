#!/usr/bin/env python3
"""Quantized against fp32: an example model compiled by xfc as it is and with
`--quantize=int8` and `--quantize=int4` (xf-quantize-weights: every linear
layer, the LM head included, becomes xf.qlinear calling the runtime's
xfrt_qmatmul_f32, and the token embedding table an xf.qembedding), with the
default schemes (int8 symmetric, int4 with f32 zero points) and the other
ones, and with --keep-fp32=embeddings,lm_head, run on the same prompt with
--logits. Reports, per variant, the .xfw size, the top-1 agreement with the
fp32 program over every position, and the largest |logit difference|
relative to the row's largest magnitude; fails when the agreement is below
the floor (int8 --min-int8, default 0.95; int4 --min-int4, default 0.50: the
examples' random weights give flat logits, where 4 bits flip near ties), a
logit is not finite, or a file with the table quantized is not smaller than
fp32 by what packing gives (int8 under 0.4 of the fp32 file, int4 under 0.3:
no f32 copy of the table or the weights is left).

    python3 test/e2e/quantized_vs_fp32.py --xfc build/bin/xfc \\
        --model-script examples/make_llama_block.py --workdir /tmp/qvf
"""
import argparse
import os
import shlex
import subprocess
import sys

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--model-script", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--model-args", default="")
    parser.add_argument("--prompt-len", type=int, default=100)
    parser.add_argument("--min-int8", type=float, default=0.95)
    parser.add_argument("--min-int4", type=float, default=0.50)
    args = parser.parse_args()
    prompt = ",".join(str(i * 7 % 251) for i in range(args.prompt_len))
    os.makedirs(args.workdir, exist_ok=True)
    model = os.path.join(args.workdir, "model.onnx")
    subprocess.run([sys.executable, args.model_script, model] + shlex.split(args.model_args),
                   check=True, stdout=subprocess.DEVNULL)
    variants = (("fp32", []), ("int8", ["--quantize=int8"]), ("int4", ["--quantize=int4"]),
                ("int8-asym", ["--quantize=int8", "--asymmetric"]),
                ("int4-sym", ["--quantize=int4", "--symmetric"]),
                ("int4-keep-fp32", ["--quantize=int4", "--keep-fp32=embeddings,lm_head"]))
    logits, sizes = {}, {}
    for name, extra in variants:
        program = os.path.join(args.workdir, name)
        subprocess.run([args.xfc, model, "-o", program] + extra, check=True,
                       stderr=subprocess.DEVNULL)
        out = program + ".logits"
        subprocess.run([program, "--tokens", prompt, "--max-tokens", "1", "--logits", out],
                       check=True, capture_output=True)
        logits[name] = np.fromfile(out, dtype="<f4").reshape(args.prompt_len, -1)
        sizes[name] = os.path.getsize(program + ".xfw")
    ref = logits["fp32"]
    top = ref.argmax(axis=1)
    scale = np.abs(ref).max(axis=1)
    failed = False
    name_of = os.path.basename(args.model_script)
    for name, _ in variants[1:]:
        q = logits[name]
        agree = float((q.argmax(axis=1) == top).mean())
        worst = float((np.abs(q - ref).max(axis=1) / scale).max())
        floor = args.min_int8 if name.startswith("int8") else args.min_int4
        ok = np.all(np.isfinite(q)) and agree >= floor
        if "keep" not in name:
            ok = ok and sizes[name] < (0.4 if name.startswith("int8") else 0.3) * sizes["fp32"]
        print(f"{name_of} {name}: .xfw {sizes[name]} bytes (fp32 {sizes['fp32']}), "
              f"top-1 agreement {agree:.3f} over {args.prompt_len} positions (floor {floor}), "
              f"max |dlogit| / row max {worst:.3e}" + ("" if ok else "  FAIL"))
        failed |= not ok
    if failed:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
