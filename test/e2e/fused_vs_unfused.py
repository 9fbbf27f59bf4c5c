#!/usr/bin/env python3
"""Fused against unfused: the same example model compiled by xfc with every
onnx -> xf fusion (attention as flash-attention loops, norms, rope,
activations, linear) and with none (`--no-fuse=...`: the exporter's ops
lowered one by one), run on the same prompt; the logits of every position
must agree within RTOL = 1e-5 of the row's largest magnitude (the row-scale
criterion of run_e2e.py, ten times tighter), and the greedy ids exactly.

Why 1e-5: both programs compute in float32 from the same weights; fusion
changes only summation order (online softmax, tile-wise sums) and where
exp is evaluated, each worth a few float32 ulps of the row scale, so
disagreements above 1e-5 mean a wrong fusion or lowering, not rounding.

    python3 test/e2e/fused_vs_unfused.py --xfc build/bin/xfc \\
        --model-script examples/make_llama_block.py --workdir /tmp/fvu [--model-args=--with-past]
"""
import argparse
import os
import shlex
import subprocess
import sys

import numpy as np

RTOL = 1e-5
FAMILIES = "attention,norms,rope,activations,linear"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--model-script", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--model-args", default="")
    # 150 ids by default: more than one query tile (64) and one key tile
    # (128) of the flash-attention lowering. (The GPT-2 example has 128
    # positions, so its test uses fewer.)
    parser.add_argument("--prompt-len", type=int, default=150)
    parser.add_argument("--tokens", type=int, default=16)
    args = parser.parse_args()
    args.prompt = ",".join(str(i * 7 % 251) for i in range(args.prompt_len))
    os.makedirs(args.workdir, exist_ok=True)
    model = os.path.join(args.workdir, "model.onnx")
    subprocess.run([sys.executable, args.model_script, model] + shlex.split(args.model_args),
                   check=True, stdout=subprocess.DEVNULL)
    results = {}
    for variant, extra in (("fused", []), ("unfused", [f"--no-fuse={FAMILIES}"])):
        program = os.path.join(args.workdir, variant)
        subprocess.run([args.xfc, model, "-o", program] + extra, check=True,
                       stderr=subprocess.DEVNULL)
        logits = program + ".logits"
        out = subprocess.run([program, "--tokens", args.prompt, "--max-tokens", str(args.tokens),
                              "--logits", logits], check=True, capture_output=True, text=True)
        results[variant] = (out.stdout.strip(), np.fromfile(logits, dtype="<f4"))
    (fused_ids, fused), (unfused_ids, unfused) = results["fused"], results["unfused"]
    rows = len(args.prompt.split(",")) + args.tokens - 1
    if fused.size != unfused.size or fused.size % rows:
        sys.exit(f"FAILED: logits sizes differ: fused {fused.size}, unfused {unfused.size} floats")
    fused, unfused = fused.reshape(rows, -1), unfused.reshape(rows, -1)
    scale = np.abs(unfused).max(axis=1)
    worst = (np.abs(fused - unfused).max(axis=1) / scale).max()
    print(f"{os.path.basename(args.model_script)} {args.model_args}: {rows} rows, "
          f"max |fused - unfused| / row max = {worst:.2e} (limit {RTOL:.0e})")
    failed = False
    if not np.all(np.isfinite(fused)) or worst > RTOL:
        print("FAIL logits")
        failed = True
    if fused_ids != unfused_ids:
        print(f"FAIL ids: fused {fused_ids}, unfused {unfused_ids}")
        failed = True
    if failed:
        sys.exit(1)
    print("ok: logits within tolerance, greedy ids identical")


if __name__ == "__main__":
    main()
