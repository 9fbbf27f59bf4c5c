#!/usr/bin/env python3
"""Speculative decoding on SmolLM2-135M-Instruct, end to end.

Compiles the model e2e-smollm2 made (its assets/model.onnx) with
`--draft=self:int4` (the model quantized as its own draft: a second model
in the program, its own KV cache) and checks, for chat prompts and one
that repeats its prompt, 256 tokens each (`--tokens`, so the end of turn
does not stop it):

- greedy output with the draft model, and with the program's `--draft
  ngram`, is identical to `--no-speculate`, and drafts of both kinds were
  accepted (not vacuous);
- `--prompts-file` (batched, continuous batching; the engine speculates
  when one sequence is left) gives each prompt's text as alone;
- sampling (`--temperature 0.8 --seed 7`) with speculation repeats
  exactly across two runs.

    python3 test/e2e/speculative_smollm2.py --xfc build/bin/xfc \\
        --smollm2-workdir build/test/e2e/smollm2 --workdir /tmp/spec-smollm2
"""
import argparse
import json
import os
import re
import subprocess
import sys

PROMPTS = [
    "What is the capital of France?",
    "Write a short poem about the sea.",
    "Explain what a compiler does in two sentences.",
    "Repeat the following text exactly: The committee met on Tuesday to "
    "review the budget for the coming year and agreed to spend more on "
    "public libraries.",
]
SPEC_LINE = re.compile(r"\[speculation: draft (\S+), (\d+) verifies, (\d+) drafted, "
                       r"(\d+) accepted")


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {out.returncode}:\n{out.stderr}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--smollm2-workdir", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    model = os.path.join(args.smollm2_workdir, "assets", "model.onnx")
    if not os.path.exists(model):
        sys.exit(f"FAIL: {model} is missing (e2e-smollm2 makes it)")
    os.makedirs(args.workdir, exist_ok=True)
    program = os.path.join(args.workdir, "smollm2-spec")
    run([args.xfc, model, "--draft=self:int4", "-o", program])

    failed = False
    accepted = {}
    for prompt in PROMPTS:
        plain = run([program, "--chat", "--prompt", prompt, "--max-tokens", "256",
                     "--no-speculate"])
        for draft in ("model", "ngram"):
            spec = run([program, "--chat", "--prompt", prompt, "--max-tokens", "256",
                        "--draft", draft])
            m = SPEC_LINE.search(spec.stderr)
            same = spec.stdout == plain.stdout
            print(f"{draft:6} {prompt[:40]!r:44}: {m.group(0) if m else 'no speculation line'}; "
                  f"{'identical' if same else 'DIFFERENT'}")
            if not m or not same:
                failed = True
                print(f"  speculative: {spec.stdout!r}\n  plain: {plain.stdout!r}")
            else:
                accepted[draft] = accepted.get(draft, 0) + int(m.group(4))
    for draft in ("model", "ngram"):
        if accepted.get(draft, 0) == 0:
            print(f"FAIL: no {draft} draft was accepted: the identity is vacuous")
            failed = True

    # Batched, through the engine.
    prompts_path = os.path.join(args.workdir, "prompts.txt")
    with open(prompts_path, "w") as f:
        for prompt in PROMPTS:
            f.write(prompt + "\n")
    batched = run([program, "--prompts-file", prompts_path, "--chat", "--max-tokens", "256"])
    for line, prompt in zip(batched.stdout.splitlines(), PROMPTS):
        alone = run([program, "--chat", "--prompt", prompt, "--max-tokens", "256",
                     "--no-speculate"]).stdout.rstrip("\n")
        got = json.loads(line)["completion"]
        print(f"batched {prompt[:40]!r:44}: {'identical' if got == alone else 'DIFFERENT'}")
        if got != alone:
            failed = True
            print(f"  batched: {got!r}\n  alone: {alone!r}")

    # Sampling with speculation repeats with the seed.
    sampled = [run([program, "--chat", "--prompt", PROMPTS[1], "--max-tokens", "64",
                    "--temperature", "0.8", "--seed", "7"]).stdout for _ in range(2)]
    print(f"sampled twice with --seed 7: {'same' if sampled[0] == sampled[1] else 'DIFFERENT'}")
    failed |= sampled[0] != sampled[1]
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
