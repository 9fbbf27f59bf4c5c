#!/usr/bin/env python3
"""Prefill and decode tokens/s of xfc's emitted program and of onnxruntime
on the same example model, in one run (a benchmark, not a test).

For each model script: make the model, compile it with xfc, run
`PROGRAM bench --prompt-len P --gen-len G`, then time onnxruntime (all graph
optimizations, 2 intra-op threads) on the same work: one forward over P
random ids (prefill), then G greedy steps, each a forward over the whole
sequence so far (decode; the example models have no KV cache inputs, so both
sides recompute). Repeats each measurement and reports the best.

    python3 bench/xfc_vs_ort.py --xfc build/bin/xfc [--prompt-len 64] [--gen-len 16]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["examples/make_gpt2_block.py", "examples/make_llama_block.py"]


def bench_xfc(program, prompt_len, gen_len, repeats):
    best = (0.0, 0.0)
    for _ in range(repeats):
        out = subprocess.run([program, "bench", "--prompt-len", str(prompt_len),
                              "--gen-len", str(gen_len)],
                             capture_output=True, text=True, check=True).stdout
        prefill = float(re.search(r"prefill: .* ([\d.]+) tokens/s", out).group(1))
        decode = float(re.search(r"decode: .* ([\d.]+) tokens/s", out).group(1))
        best = (max(best[0], prefill), max(best[1], decode))
    return best


def bench_ort(model, prompt_len, gen_len, repeats):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    vocab = session.get_outputs()[0].shape[-1]
    rng = np.random.default_rng(0)

    def forward(ids):
        a = np.array([ids], dtype=np.int64)
        feeds = {"input_ids": a}
        if "attention_mask" in names:
            feeds["attention_mask"] = np.ones_like(a)
        if "position_ids" in names:
            feeds["position_ids"] = np.arange(len(ids), dtype=np.int64)[None]
        return session.run(None, feeds)[0]

    best = (0.0, 0.0)
    for _ in range(repeats):
        ids = list(rng.integers(0, vocab, prompt_len))
        start = time.perf_counter()
        logits = forward(ids)
        prefill = prompt_len / (time.perf_counter() - start)
        start = time.perf_counter()
        for _ in range(gen_len):
            ids.append(int(logits[0, -1].argmax()))
            logits = forward(ids)
        decode = gen_len / (time.perf_counter() - start)
        best = (max(best[0], prefill), max(best[1], decode))
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--prompt-len", type=int, default=64)
    parser.add_argument("--gen-len", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"| model | prompt | gen | xfc prefill tok/s | ORT prefill tok/s | xfc decode tok/s "
          f"| ORT decode tok/s |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as work:
        for script in MODELS:
            name = os.path.basename(script)[len("make_"):-len(".py")]
            if not os.path.exists(os.path.join(ROOT, script)):
                print(f"skipping {script}: not found", file=sys.stderr)
                continue
            model = os.path.join(work, name + ".onnx")
            program = os.path.join(work, name)
            subprocess.run([sys.executable, os.path.join(ROOT, script), model], check=True)
            subprocess.run([args.xfc, model, "-o", program], check=True,
                           stderr=subprocess.DEVNULL)
            xp, xd = bench_xfc(program, args.prompt_len, args.gen_len, args.repeats)
            op, od = bench_ort(model, args.prompt_len, args.gen_len, args.repeats)
            print(f"| {name} | {args.prompt_len} | {args.gen_len} | {xp:.0f} | {op:.0f} "
                  f"| {xd:.1f} | {od:.1f} |")


if __name__ == "__main__":
    main()
