#!/usr/bin/env python3
"""Speculative decoding end to end: greedy output with speculation must be
byte-identical to the output without it (`--no-speculate`).

Programs compiled by xfc from the example models: the Llama block with
`--draft=self:layers=1`, with `--draft=ngram`, with `--quantize=int8
--draft=self:layers=1`, with the draft models `--draft=self:int4`,
`--quantize=int8 --draft=self:int4:group=64:symmetric` and
`--draft=llama1.onnx` (the block with one layer); the corpus' Mistral export
(a 16-key sliding window: blocks behind it are released, 16 positions later
while speculating) with `--draft=self:int4` and ngram; the GPT-2 block with
`--draft=self:layers=1` (run also with the program's `--draft ngram`). For every program and prompt
(random ones and repetitive ones, so that prompt lookup finds matches),
`--tokens P --max-tokens 256` gives the same stdout with and without
speculation. Not vacuous: for each draft kind (layers, ngram, model) the
stderr speculation line must report accepted > 0 for at least one prompt.
A draft with another vocabulary is refused (exit 1, a message, no OUT
or OUT.xfw left). Batched: `--tokens-file` over all prompts (`--max-batch 2`) gives, line by
line, each prompt's unbatched output (the batch front end may or may not
speculate; only identity is checked). Nothing here skips.

    python3 test/e2e/speculative_greedy_identity.py --xfc build/bin/xfc \\
        --examples examples --workdir /tmp/spec-e2e
"""
import argparse
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

TOKENS = 256
PROMPTS = [
    [17, 3, 250, 41, 9, 128, 77],
    [5, 6, 7, 8] * 6,
    [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2],
    [42],
    [200, 11, 200, 11, 200, 11, 9, 13, 200, 11],
]
SPEC_LINE = re.compile(r"\[speculation: draft (\S+), (\d+) verifies, (\d+) drafted, "
                       r"(\d+) accepted")


def run(cmd):
    out = subprocess.run(cmd, capture_output=True)
    if out.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {out.returncode}:\n"
                 f"{out.stderr.decode(errors='replace')}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--examples", required=True)
    parser.add_argument("--corpus", required=True, help="test/corpus")
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    w = lambda name: os.path.join(args.workdir, name)

    for model in ("llama", "gpt2"):
        run([sys.executable, os.path.join(args.examples, f"make_{model}_block.py"),
             w(f"{model}.onnx")])
    # A second ONNX as the draft: the Llama block with one layer.
    run([sys.executable, os.path.join(args.examples, "make_llama_block.py"),
         w("llama1.onnx"), "--layers", "1"])
    # A sliding-window model (every layer within 16 keys, so blocks behind
    # the window are released while it decodes): the corpus' Mistral export.
    mistral = os.path.join(args.corpus, "models", "mistral-optimum", "model.onnx")
    if not os.path.exists(w("mistral.onnx")):
        os.symlink(os.path.abspath(mistral), w("mistral.onnx"))
    # (program, model, xfc flags, [runtime extra flags per run variant])
    builds = [
        ("llama-self", "llama", ["--draft=self:layers=1"]),
        ("llama-ngram", "llama", ["--draft=ngram"]),
        ("llama-int8-self", "llama", ["--quantize=int8", "--draft=self:layers=1"]),
        ("gpt2-self", "gpt2", ["--draft=self:layers=1"]),
        # Draft models with weights of their own (a second entry point, its
        # own part of the .xfw and its own KV cache).
        ("llama-self-int4", "llama", ["--draft=self:int4"]),
        ("llama-int8-self-int4", "llama",
         ["--quantize=int8", "--draft=self:int4:group=64:symmetric"]),
        ("llama-onnx-draft", "llama", ["--draft=" + w("llama1.onnx")]),
        ("mistral-window-int4", "mistral", ["--draft=self:int4"]),
    ]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda b: run([args.xfc, w(f"{b[1]}.onnx")] + b[2] + ["-o", w(b[0])]),
                      builds))
    variants = [(b[0], []) for b in builds] + [("gpt2-self", ["--draft", "ngram"]),
                                               ("llama-int8-self", ["--draft", "ngram"]),
                                               ("mistral-window-int4", ["--draft", "ngram"])]

    failed = False
    accepted_by_kind = {}
    prompts_path = w("prompts.tokens")
    with open(prompts_path, "w") as f:
        for p in PROMPTS:
            f.write(",".join(map(str, p)) + "\n")
    for name, extra in variants:
        program = w(name)
        singles = []
        for p in PROMPTS:
            base = [program, "--tokens", ",".join(map(str, p)), "--max-tokens", str(TOKENS)]
            spec = run(base + extra)
            plain = run(base + ["--no-speculate"])
            singles.append(spec.stdout.decode().strip())
            m = SPEC_LINE.search(spec.stderr.decode())
            if not m:
                print(f"FAIL {name} {' '.join(extra)}: no speculation line in stderr:\n"
                      f"{spec.stderr.decode()}")
                failed = True
                continue
            draft, verifies, drafted, accepted = m.group(1), *map(int, m.groups()[1:])
            kind = ("ngram" if draft.startswith("ngram") else
                    "layers" if draft.startswith("self:layers") else "model")
            accepted_by_kind[kind] = accepted_by_kind.get(kind, 0) + accepted
            same = spec.stdout == plain.stdout
            count = len(spec.stdout.decode().strip().split(","))
            print(f"{name:16} {' '.join(extra):12} prompt {len(p):2} tokens: {count} generated, "
                  f"draft {draft}: {verifies} verifies, {drafted} drafted, {accepted} accepted; "
                  f"{'identical' if same else 'DIFFERENT'}")
            if not same:
                print(f"FAIL {name}: speculative {spec.stdout!r}\n  plain {plain.stdout!r}")
                failed = True
        batched = run([program, "--tokens-file", prompts_path, "--max-tokens", str(TOKENS),
                       "--max-batch", "2"] + extra).stdout.decode().strip().split("\n")
        same = sum(x.strip() == y for x, y in zip(batched, singles))
        print(f"{name:16} {' '.join(extra):12} --tokens-file, batch 2: {same} of "
              f"{len(PROMPTS)} lines identical to the unbatched runs")
        if len(batched) != len(PROMPTS) or same != len(PROMPTS):
            print(f"FAIL {name} batched: {batched}\n  singles {singles}")
            failed = True

    # A draft whose vocabulary differs is refused, and nothing is left.
    sys.path.insert(0, args.examples)
    import onnx
    import make_llama_block
    onnx.save(make_llama_block.build(layers=1, vocab=320), w("vocab320.onnx"))
    for f in ("mismatch", "mismatch.xfw"):
        if os.path.exists(w(f)):
            os.remove(w(f))
    refused = subprocess.run([args.xfc, w("llama.onnx"), "--draft=" + w("vocab320.onnx"),
                              "-o", w("mismatch")], capture_output=True, text=True)
    left = [f for f in ("mismatch", "mismatch.xfw") if os.path.exists(w(f))]
    print(f"draft with 320 tokens for a 256-token model: exit {refused.returncode}, "
          f"{refused.stderr.strip().splitlines()[-1] if refused.stderr.strip() else ''}")
    if refused.returncode != 1 or "vocabulary" not in refused.stderr or left:
        print(f"FAIL: a draft with another vocabulary must be refused with a message "
              f"and leave no output (left: {left})")
        failed = True

    for kind in ("layers", "ngram", "model"):
        print(f"draft kind {kind}: {accepted_by_kind.get(kind, 0)} drafts accepted in all")
        if accepted_by_kind.get(kind, 0) == 0:
            print(f"FAIL: no {kind} draft was ever accepted; the identity checks are vacuous")
            failed = True
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
