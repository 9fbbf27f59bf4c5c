#!/usr/bin/env python3
"""The paged KV cache (issue 6) on SmolLM2-135M: decode speed at a short and
a long context, and aggregate decode speed of batches (a benchmark, not a
test).

    python3 bench/paged_kv.py --program build/test/e2e/smollm2/smollm2 \\
        [--gguf build/smollm2/smollm2-135m-instruct-f32.gguf] [--threads 2] \\
        [--gen 64] [--repeats 3] [--no-docs]

Measured, each in a process of its own, best of --repeats:
  - decode tokens/s of one sequence after a prompt of 64 and of 1024 random
    ids (the program's `bench --prompt-len P --gen-len G`): G greedy steps,
    one token per call through the paged cache. Their ratio says how much a
    step's cost grows with the context (attention reads the whole cache;
    the weights dominate at these lengths). llama.cpp (fp32 GGUF, the same
    prompt ids) is measured the same way next to it when --gguf is given;
  - aggregate decode tokens/s with 1, 4 and 16 sequences (prompts of 64
    ids each), all decoded in one call per step (`bench --batch N`):
    batching reads each weight once per step for all sequences.
Results go to stdout and, unless --no-docs, to docs/benchmarks.md (section
"Paged KV cache (issue 6)", replaced on a rerun).
"""
import argparse
import datetime
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smollm2_side_by_side as side  # noqa: E402  (shared measuring helpers)

SECTION = "## Paged KV cache (issue 6)"


def xfc_decode(program, prompt_len, gen, batch, threads, repeats):
    rates = []
    for _ in range(repeats):
        side.wait_for_idle(120)
        code, stdout, stderr, _, rss = side.run_measured(
            [program, "bench", "--prompt-len", str(prompt_len), "--gen-len", str(gen),
             "--batch", str(batch), "--threads", str(threads)], timeout=1800)
        if code != 0:
            raise side.EngineError(side.failure_reason(code, stdout, stderr))
        m = re.search(r"decode: \d+ tokens in [\d.]+ s, ([\d.]+) tokens/s", stdout)
        if not m:
            raise side.EngineError("unexpected bench output: " + stdout[:120])
        rates.append(float(m.group(1)))
    return max(rates)


LLAMA_WORKER = r"""
import sys, time, numpy as np, llama_cpp
sys.path.insert(0, sys.argv[1])
from smollm2_side_by_side import lcg_ids
model, prompt_len, gen, threads = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
llm = llama_cpp.Llama(model, n_ctx=2048, n_batch=512, n_ubatch=512, n_threads=threads,
                      n_threads_batch=threads, logits_all=False, verbose=False)
vocab = llm.n_vocab()
llm.eval(lcg_ids(prompt_len, vocab))
t0 = time.perf_counter()
for _ in range(gen):
    logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(vocab,))
    llm.eval([int(np.argmax(logits))])
print("RATE", gen / (time.perf_counter() - t0))
"""


def llama_decode(gguf, prompt_len, gen, threads, repeats):
    rates = []
    for _ in range(repeats):
        side.wait_for_idle(120)
        code, stdout, stderr, _, _ = side.run_measured(
            [sys.executable, "-c", LLAMA_WORKER, os.path.dirname(os.path.abspath(__file__)),
             gguf, str(prompt_len), str(gen), str(threads)], timeout=1800)
        m = re.search(r"^RATE ([\d.]+)", stdout, re.M)
        if code != 0 or not m:
            raise side.EngineError(side.failure_reason(code, stdout, stderr))
        rates.append(float(m.group(1)))
    return max(rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--program", required=True)
    parser.add_argument("--gguf")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--gen", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()

    def attempt(fn, *a):
        try:
            return fn(*a)
        except side.EngineError as e:
            return f"failed: {e}"

    ctx = {}
    for p in (64, 1024):
        ctx[("xfc", p)] = attempt(xfc_decode, args.program, p, args.gen, 1, args.threads,
                                  args.repeats)
        if args.gguf:
            ctx[("llama.cpp", p)] = attempt(llama_decode, args.gguf, p, args.gen, args.threads,
                                            args.repeats)
        print(f"context {p}: " + ", ".join(f"{k[0]} {v}" for k, v in ctx.items() if k[1] == p),
              flush=True)
    batches = {}
    for b in (1, 4, 16):
        batches[b] = attempt(xfc_decode, args.program, 64, args.gen, b, args.threads,
                             args.repeats)
        print(f"batch {b}: {batches[b]}", flush=True)

    def fmt(v):
        return f"{v:.1f}" if isinstance(v, float) else str(v)

    def ratio(a, b):
        return f"{a / b:.2f}" if isinstance(a, float) and isinstance(b, float) else "n/a"

    engines = ["xfc"] + (["llama.cpp"] if args.gguf else [])
    lines = [SECTION, "",
             f"Measured {datetime.date.today()} on this machine ({args.threads} threads, "
             f"best of {args.repeats}, {args.gen} greedy steps), with:", "",
             "    python3 bench/paged_kv.py --program " + os.path.relpath(args.program)
             + (" --gguf " + os.path.relpath(args.gguf) if args.gguf else "")
             + f" --threads {args.threads} --gen {args.gen} --repeats {args.repeats}", "",
             "Decode tokens/s of one sequence after a prompt of 64 and of 1024 ids:", "",
             "| engine | context 64 | context 1024 | 1024 / 64 |", "|---|---|---|---|"]
    for e in engines:
        lines.append(f"| {e} | {fmt(ctx[(e, 64)])} | {fmt(ctx[(e, 1024)])} | "
                     f"{ratio(ctx[(e, 1024)], ctx[(e, 64)])} |")
    lines += ["", "Aggregate decode tokens/s of B sequences (prompts of 64 ids) decoded "
              "together, one call per step (xfc `bench --batch B`):", "",
              "| batch | tokens/s | vs batch 1 |", "|---|---|---|"]
    for b in (1, 4, 16):
        lines.append(f"| {b} | {fmt(batches[b])} | {ratio(batches[b], batches[1])} |")
    lines.append("")
    section = "\n".join(lines)
    print(section)
    if not args.no_docs:
        side.write_docs(os.path.join(side.ROOT, "docs", "benchmarks.md"), section, SECTION)


if __name__ == "__main__":
    main()
