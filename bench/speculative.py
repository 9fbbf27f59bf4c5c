#!/usr/bin/env python3
"""Speculative decoding on SmolLM2-135M-Instruct: xfc's drafts beside
llama.cpp's prompt-lookup decoding, on the same chat prompts, in one run.

Two tasks, greedy, 128 new tokens each (stopping at end of turn):
  (a) chat: ten varied questions;
  (b) repeat: answers that copy their prompt (edit, translate-free rewrite,
      code completion from a given listing), where prompt lookup has
      something to find.
For each xfc program (a target precision compiled with a draft model, or
the runtime's n-gram draft), every prompt runs with its draft and with
--no-speculate: decode tokens/s of each (generated - 1 over the time after
the first token, the program's own stderr line), the acceptance rate
(accepted / drafted) and whether the text is identical (it must be). llama.cpp
(llama-cpp-python) runs the same rendered prompts on the F32 and Q8_0 GGUFs,
plain and with LlamaPromptLookupDecoding (its only draft: the Python API
takes no separate draft model), timed the same way from a stream. Both use 2
threads. The table goes to stdout and, unless --no-docs, replaces the
section "Speculative decoding (issue 16)" of docs/benchmarks.md.

    bench/speculative.py --programs build/bench-spec --assets build/smollm2
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time

CHAT = [
    "What is the capital of France?",
    "Write a short poem about the sea.",
    "Explain what a compiler does in two sentences.",
    "Give me three tips for staying focused while studying.",
    "What is the difference between a list and a tuple in Python?",
    "Why is the sky blue?",
    "Suggest a name for a small coffee shop.",
    "How do I boil an egg?",
    "What are the main causes of climate change?",
    "Describe a cat to someone who has never seen one.",
]

TEXT = ("The committee met on Tuesday to review the budget for the coming year. "
        "After a long discussion, the members agreed to increase spending on "
        "public libraries and to reduce the cost of administration. The new "
        "plan will be presented to the city council next month.")
CODE = """def mean(values):
    total = 0
    for v in values:
        total += v
    return total / len(values)

def variance(values):
    m = mean(values)
    total = 0
    for v in values:
        total += (v - m) ** 2
    return total / len(values)
"""
REPEAT = [
    "Repeat the following text exactly, word for word:\n\n" + TEXT,
    "Rewrite the following text, replacing 'Tuesday' with 'Friday' and "
    "keeping everything else the same:\n\n" + TEXT,
    "Copy this Python code and add a docstring to each function:\n\n" + CODE,
    "Fix the spelling in this text and return it in full: The commitee met on "
    "Tuesday to reveiw the budjet for the comming year. The members agreed to "
    "increse spending on public librarys.",
    "Here is a list: apples, bananas, cherries, dates, elderberries, figs, "
    "grapes. Write the list again, one item per line, numbered.",
]

SPEED = re.compile(r"(\d+) generated at ([\d.]+) tokens/s")
SPEC = re.compile(r"(\d+) drafted, (\d+) accepted")


def cpu_name():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def run_xfc(program, prompt, extra, threads):
    cmd = [program, "--chat", "--prompt", prompt, "--max-tokens", "128",
           "--threads", str(threads)] + extra
    p = subprocess.run(cmd, capture_output=True, text=True, check=True)
    speed = SPEED.search(p.stderr)
    spec = SPEC.search(p.stderr)
    generated, rate = int(speed.group(1)), float(speed.group(2))
    seconds = (generated - 1) / rate if rate > 0 else 0.0
    drafted, accepted = (int(spec.group(1)), int(spec.group(2))) if spec else (0, 0)
    return {"text": p.stdout, "generated": generated, "seconds": seconds,
            "drafted": drafted, "accepted": accepted}


def measure_xfc(program, draft_args, prompts, threads):
    plain = dict(generated=0, seconds=0.0)
    fast = dict(generated=0, seconds=0.0, drafted=0, accepted=0)
    same = 0
    for prompt in prompts:
        a = run_xfc(program, prompt, ["--no-speculate"], threads)
        b = run_xfc(program, prompt, draft_args, threads)
        same += a["text"] == b["text"]
        for key in plain:
            plain[key] += a[key]
        for key in fast:
            fast[key] += b[key]
    rate = lambda r: (r["generated"] - len(prompts)) / max(r["seconds"], 1e-9)
    return {"plain": rate(plain), "speculative": rate(fast),
            "accept": fast["accepted"] / max(fast["drafted"], 1),
            "drafted": fast["drafted"], "accepted": fast["accepted"],
            "identical": f"{same}/{len(prompts)}"}


def measure_llama(gguf, prompts, threads, lookup):
    import llama_cpp
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding
    draft = LlamaPromptLookupDecoding(num_pred_tokens=10) if lookup else None
    llm = llama_cpp.Llama(gguf, n_ctx=2048, n_threads=threads, n_threads_batch=threads,
                          verbose=False, draft_model=draft)
    generated, seconds, texts = 0, 0.0, []
    for prompt in prompts:
        first, count, text = None, 0, ""
        stream = llm.create_chat_completion(
            messages=[{"role": "user", "content": prompt}], max_tokens=128,
            temperature=0.0, top_k=1, stream=True)
        for chunk in stream:
            delta = chunk["choices"][0]["delta"].get("content")
            if delta:
                count += 1
                text += delta
                if first is None:
                    first = time.perf_counter()
        end = time.perf_counter()
        # Streamed pieces are tokens, or several when speculation lands a run.
        toks = len(llm.tokenize(text.encode(), add_bos=False, special=False))
        generated += max(toks - 1, 0)
        seconds += end - first if first else 0.0
        texts.append(text)
    return generated / max(seconds, 1e-9), texts


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--programs", default="build/bench-spec")
    ap.add_argument("--assets", default="build/smollm2")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-docs", action="store_true")
    ap.add_argument("--no-llama", action="store_true")
    args = ap.parse_args()

    # (program, the draft it was compiled with, how to run it)
    configs = [
        ("fp32-int4", "fp32", "ngram:3 (prompt lookup)", ["--draft", "ngram"]),
        ("fp32-layers26", "fp32", "self:layers=26 (early exit, of 30)", []),
        ("fp32-int8", "fp32", "self:int8", []),
        ("fp32-int4", "fp32", "self:int4 (Q4_1 groups of 32: the file's own grid)", []),
        ("fp32-int4g128", "fp32", "self:int4:group=128:symmetric", []),
        ("int8-int4", "int8", "ngram:3 (prompt lookup)", ["--draft", "ngram"]),
        ("int8-int4", "int8", "self:int4 (groups of 32)", []),
        ("int8-int4g128", "int8", "self:int4:group=128:symmetric", []),
    ]
    rows = []
    for program, target, draft, extra in configs:
        path = os.path.join(args.programs, program)
        if not os.path.exists(path):
            print(f"skipping {program}: not built", file=sys.stderr)
            continue
        for task, prompts in (("chat", CHAT), ("repeat", REPEAT)):
            r = measure_xfc(path, extra, prompts, args.threads)
            r.update(engine="xfc", target=target, draft=draft, task=task)
            print(json.dumps(r), flush=True)
            rows.append(r)
    # Batch 16: the sixteen prompts of both tasks (and one more) decoded
    # together; the engine speculates only while a single request runs.
    batch_rows = []
    for program, target in (("fp32-int4", "fp32"), ("int8-int4", "int8")):
        path = os.path.join(args.programs, program)
        if not os.path.exists(path):
            continue
        prompts_file = os.path.join(args.programs, "batch16.txt")
        with open(prompts_file, "w") as f:
            for p in (CHAT + REPEAT + CHAT[:1])[:16]:
                f.write(p.replace("\n", " ") + "\n")
        rates = {}
        for mode, extra in (("plain", ["--no-speculate"]), ("speculative", [])):
            p = subprocess.run([path, "--prompts-file", prompts_file, "--chat",
                                "--max-tokens", "128", "--threads", str(args.threads)]
                               + extra, capture_output=True, text=True, check=True)
            rates[mode] = float(re.search(r"\(([\d.]+) tokens/s\)", p.stderr).group(1))
            rates[mode + "_text"] = p.stdout
        batch_rows.append((target, rates["plain"], rates["speculative"],
                           rates["plain_text"] == rates["speculative_text"]))
        print(json.dumps(batch_rows[-1]), flush=True)
    if not args.no_llama:
        for quant, target in (("f32", "fp32"), ("q8_0", "int8 (Q8_0)")):
            gguf = os.path.join(args.assets, f"smollm2-135m-{quant}.gguf")
            for task, prompts in (("chat", CHAT), ("repeat", REPEAT)):
                plain, texts = measure_llama(gguf, prompts, args.threads, False)
                fast, fast_texts = measure_llama(gguf, prompts, args.threads, True)
                same = sum(a == b for a, b in zip(texts, fast_texts))
                r = dict(engine="llama.cpp", target=target,
                         draft="prompt lookup (LlamaPromptLookupDecoding, 10)",
                         task=task, plain=plain, speculative=fast, accept=None,
                         identical=f"{same}/{len(prompts)}")
                print(json.dumps(r), flush=True)
                rows.append(r)

    lines = [
        "## Speculative decoding (issue 16)",
        "",
        f"`python3 bench/speculative.py` on {cpu_name()}, {args.threads} threads, "
        f"commit {subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()}. "
        "SmolLM2-135M-Instruct, greedy, chat template, up to 128 new tokens per "
        "prompt; (a) chat: ten varied questions, (b) repeat: five answers that "
        "copy their prompt (bench/speculative.py lists them). Decode tokens/s "
        "is the generated tokens after the first over the time after the "
        "first, summed over the prompts; plain is the same program with "
        "--no-speculate (llama.cpp: without a draft). Acceptance is accepted "
        "/ drafted. Identical: prompts whose text equals the plain run's.",
        "",
        "| engine | target | draft | task | plain tok/s | speculative tok/s | speedup | acceptance | identical |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        accept = "-" if r["accept"] is None else f"{100 * r['accept']:.0f}%"
        lines.append(
            f"| {r['engine']} | {r['target']} | {r['draft']} | {r['task']} | "
            f"{r['plain']:.1f} | {r['speculative']:.1f} | "
            f"{r['speculative'] / r['plain']:.2f}x | {accept} | {r['identical']} |")
    if batch_rows:
        lines += ["", "Batch 16 (`--prompts-file`, 16 of the prompts above, "
                  "aggregate tokens/s including prefill, the engine's line; "
                  "draft self:int4):", "",
                  "| target | plain tok/s | with the draft tok/s | ratio | identical |",
                  "|---|---|---|---|---|"]
        for target, plain, fast, same in batch_rows:
            lines.append(f"| {target} | {plain:.1f} | {fast:.1f} | {fast / plain:.2f}x | "
                         f"{'yes' if same else 'NO'} |")
    table = "\n".join(lines) + "\n"
    print(table)
    if not args.no_docs:
        path = "docs/benchmarks.md"
        text = open(path).read()
        start = text.find("## Speculative decoding (issue 16)")
        if start >= 0:
            end = text.find("\n## ", start + 1)
            text = text[:start] + table + ("" if end < 0 else text[end:])
        else:
            text = text.rstrip("\n") + "\n\n" + table
        open(path, "w").write(text)


if __name__ == "__main__":
    main()
