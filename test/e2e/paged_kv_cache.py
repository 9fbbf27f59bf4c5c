#!/usr/bin/env python3
"""The paged KV cache end to end: a program compiled by xfc (which pages the
cache with xf-insert-kv-cache) is run three ways and must agree with itself.

1. Cached decoding against recomputation: `--tokens P --max-tokens G`
   (prefill once, then one token per call through the paged cache) and the
   same with `--recompute` (every step recomputes the whole sequence from an
   empty cache). Greedy ids identical; the logits of the prompt's positions
   and of every generated position within ATOL = 1e-4 of each other, scaled
   by max(1, the row's largest magnitude). Both compute in float32 from the
   same weights; only the attention's summation order differs (one query
   against the cache vs. a query tile), a few ulps.
2. Continuous batching against one sequence at a time: prompts of different
   lengths through `--tokens-file` with `--max-batch` smaller than their
   number (so sequences join as others leave) give, prompt by prompt, the
   ids each gives alone with `--tokens`.
3. A shared prefix: 8 prompts that start with the same PREFIX tokens. The
   program must report that 7 of them took every whole block of that prefix
   from the prefix cache (7 * (PREFIX // block) * block tokens reused), and
   still produce each prompt's own ids.
4. A pool too small for every sequence at once (`--kv-memory` of 7 blocks
   for 4 prompts of 2 blocks that grow into a third): sequences wait, the newest is
   preempted with a message and recomputed, and every prompt still gets its
   own ids. A pool that cannot hold one prompt is refused with a message.

    python3 test/e2e/paged_kv_cache.py --xfc build/bin/xfc \\
        --model-script examples/make_llama_block.py --workdir /tmp/paged
    python3 test/e2e/paged_kv_cache.py --program build/test/e2e/smollm2/model ...
"""
import argparse
import os
import re
import shlex
import subprocess
import sys

import numpy as np

ATOL = 1e-4
BLOCK = 16


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{out.stderr}")
    return out


def ids_of(text):
    return [int(t) for t in text.strip().split(",") if t]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xfc")
    parser.add_argument("--model-script")
    parser.add_argument("--model-args", default="")
    parser.add_argument("--program", help="an already compiled program")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--vocab", type=int, default=251)
    parser.add_argument("--prompt-len", type=int, default=70)
    parser.add_argument("--tokens", type=int, default=12)
    parser.add_argument("--prefix", type=int, default=100)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)

    program = args.program
    if program and not os.path.exists(program):
        print(f"skipped: {program} does not exist (its compiling test did not run)")
        sys.exit(77)
    if not program:
        model = os.path.join(args.workdir, "model.onnx")
        subprocess.run([sys.executable, args.model_script, model] + shlex.split(args.model_args),
                       check=True, stdout=subprocess.DEVNULL)
        program = os.path.join(args.workdir, "model")
        compiled = run([args.xfc, model, "-o", program])
        if "paged KV cache: blocks of" not in compiled.stderr:
            sys.exit(f"FAILED: xfc did not page the KV cache:\n{compiled.stderr}")

    failed = False
    prompt = [(i * 7 + 3) % args.vocab for i in range(args.prompt_len)]
    tokens = ",".join(map(str, prompt))

    # 1. cached against recomputed
    logits = {}
    ids = {}
    for variant, extra in (("cached", []), ("recompute", ["--recompute"])):
        path = os.path.join(args.workdir, variant + ".logits")
        out = run([program, "--tokens", tokens, "--max-tokens", str(args.tokens),
                   "--logits", path] + extra)
        ids[variant] = ids_of(out.stdout)
        logits[variant] = np.fromfile(path, dtype="<f4")
    rows = len(prompt) + args.tokens - 1
    a, b = logits["cached"], logits["recompute"]
    if a.size != b.size or a.size % rows:
        sys.exit(f"FAILED: logits sizes differ: cached {a.size}, recompute {b.size} floats")
    a, b = a.reshape(rows, -1), b.reshape(rows, -1)
    scale = np.maximum(1.0, np.abs(b).max(axis=1))
    worst = (np.abs(a - b).max(axis=1) / scale).max()
    print(f"cached vs recompute: {rows} rows, max |diff| / max(1, row max) = {worst:.2e} "
          f"(limit {ATOL:.0e}); ids {'equal' if ids['cached'] == ids['recompute'] else 'DIFFER'}")
    if not np.all(np.isfinite(a)) or worst > ATOL:
        print("FAIL logits")
        failed = True
    if ids["cached"] != ids["recompute"]:
        print(f"FAIL ids: cached {ids['cached']}, recompute {ids['recompute']}")
        failed = True

    def batch_against_singles(prompts, max_batch, label, extra=()):
        nonlocal failed
        path = os.path.join(args.workdir, label.replace(" ", "-") + ".prompts")
        with open(path, "w") as f:
            for p in prompts:
                f.write(",".join(map(str, p)) + "\n")
        out = run([program, "--tokens-file", path, "--max-tokens", str(args.tokens),
                   "--max-batch", str(max_batch)] + list(extra))
        batched = [ids_of(line) for line in out.stdout.strip().split("\n")]
        singles = [ids_of(run([program, "--tokens", ",".join(map(str, p)), "--max-tokens",
                               str(args.tokens)]).stdout) for p in prompts]
        same = sum(x == y for x, y in zip(batched, singles))
        print(f"{label}: {len(prompts)} prompts, batch up to {max_batch}: "
              f"{same} of {len(prompts)} identical to their single runs")
        if len(batched) != len(prompts) or same != len(prompts):
            print(f"FAIL {label}: batched {batched}\n  singles {singles}")
            failed = True
        return out.stderr

    # 2. continuous batching: 6 prompts of different lengths, 4 at a time
    prompts = [[(i * 11 + k * 5 + 1) % args.vocab for i in range(5 + 9 * k)] for k in range(6)]
    batch_against_singles(prompts, 4, "continuous batching")

    # 3. 8 prompts sharing a prefix
    prefix = [(i * 13 + 2) % args.vocab for i in range(args.prefix)]
    prompts = [prefix + [(k * 17 + j) % args.vocab for j in range(3 + k)] for k in range(8)]
    report = batch_against_singles(prompts, 8, "shared prefix")
    match = re.search(r"(\d+) reused from the prefix cache", report)
    expected = 7 * (args.prefix // BLOCK) * BLOCK
    reused = int(match.group(1)) if match else -1
    print(f"shared prefix: {reused} prompt tokens reused from the cache (expected {expected})")
    if reused != expected:
        print(f"FAIL prefix sharing; the program said:\n{report}")
        failed = True

    # 4. preemption: the size of a block, from the program's own refusal
    tiny = subprocess.run([program, "--tokens", "1", "--kv-memory", "1K"],
                          capture_output=True, text=True)
    match = re.search(r"one block of \d+ tokens takes (\d+) bytes", tiny.stderr)
    if tiny.returncode != 1 or not match:
        print(f"FAIL refusal of a pool without a block: {tiny.stderr.strip()}")
        failed = True
    else:
        block_bytes = int(match.group(1))
        # 2 blocks of prompt each, a third once generating: 3 start (6 of
        # 7 blocks), the 4th waits, and the third block of the second
        # sequence to cross the boundary has to come from the newest.
        prompts = [[(i * 19 + k * 7 + 5) % args.vocab for i in range(2 * BLOCK - 2)]
                   for k in range(4)]
        report = batch_against_singles(prompts, 4, "small pool",
                                       ["--kv-memory", str(7 * block_bytes)])
        preempted = report.count("[preempting prompt")
        print(f"small pool: {preempted} preemptions")
        if preempted == 0:
            print(f"FAIL: no preemption with a pool of 7 blocks; the program said:\n{report}")
            failed = True
        too_small = subprocess.run([program, "--tokens", ",".join(["1"] * (3 * BLOCK)),
                                    "--kv-memory", str(2 * block_bytes)],
                                   capture_output=True, text=True)
        if too_small.returncode != 1 or "KV cache" not in too_small.stderr:
            print(f"FAIL: a prompt larger than the pool was not refused: {too_small.stderr.strip()}")
            failed = True

    if failed:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
