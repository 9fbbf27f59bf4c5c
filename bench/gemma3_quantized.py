#!/usr/bin/env python3
"""Gemma 3 270M quantized: xfc's fp32, int8 and int4 programs with their
quality against fp32 on a held-out text, side by side with llama.cpp on the
same GGUF (Q4_K_M as the package ships it, and its F32 / Q8_0 conversions),
in one run on the same threads (a benchmark, not a test).

    python3 bench/gemma3_quantized.py [--onnx build/gemma3/model.onnx] \\
        [--gguf-dir build/gemma3-bench] [--work build/bench-gemma3] [--reuse] \\
        [--threads 2] [--repeats 2] [--no-docs]

For xfc: `xfc model.onnx --quantize=int8|int4 --eval-text TEXT` (the
quality report: perplexity of fp32 and of the quantized program on 512-token
chunks of TEXT, mean KL(fp32 || quantized) of the next-token distributions,
top-1 agreement), the .xfw size, and `PROGRAM bench` (prefill 128 tokens,
then decode tokens/s over --gen-len greedy steps). For llama.cpp
(llama-cpp-python): the same prompt ids (the program's LCG), decode tokens/s
over the same steps, the file size. The held-out text is the GPL-3 text every
Debian machine has (/usr/share/common-licenses/GPL-3), which no model file
here was calibrated on.

The LM head's cost per decoded token is measured as the difference between
the int8 program and one compiled with `--keep-fp32=lm_head` (its f32 head
read every token), and put beside its share of the weight bytes read per
token.

Results go to stdout and, unless --no-docs, to docs/benchmarks.md (section
"Gemma 3 270M quantized (issue 14)", replaced on a rerun).
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import smollm2_side_by_side as sbs  # noqa: E402

SECTION = "## Gemma 3 270M quantized (issue 14)"
HELD_OUT = "/usr/share/common-licenses/GPL-3"
VOCAB, HIDDEN = 262144, 640


def compile_program(args, name, extra):
    program = os.path.join(args.work, name)
    if args.reuse and os.path.exists(program) and os.path.exists(program + ".xfw"):
        return program
    cmd = [args.xfc, args.onnx, "-o", program, *extra]
    print("$ " + " ".join(shlex.quote(c) for c in cmd), flush=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return program


def quality(program):
    path = program + ".quality.json"
    if not os.path.exists(path):
        return None
    with open(path) as fh:
        return json.load(fh)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xfc", default=os.path.join(ROOT, "build/bin/xfc"))
    ap.add_argument("--onnx", default=os.path.join(ROOT, "build/gemma3/model.onnx"))
    ap.add_argument("--tokenizer", help="tokenizer.json for the programs (default: next to --onnx)")
    ap.add_argument("--gguf-dir", default=os.path.join(ROOT, "build/gemma3-bench"),
                    help="gemma-3-270m-q4_k_m.gguf, -q8_0.gguf and -f32.gguf")
    ap.add_argument("--work", default=os.path.join(ROOT, "build/bench-gemma3"))
    ap.add_argument("--reuse", action="store_true", help="keep programs compiled by an earlier run")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--gen-len", type=int, default=64)
    ap.add_argument("--eval-chunks", type=int, default=4)
    ap.add_argument("--no-docs", action="store_true")
    ap.add_argument("--docs", default=os.path.join(ROOT, "docs/benchmarks.md"))
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    tok = ["--tokenizer", args.tokenizer] if args.tokenizer else []
    evals = ["--eval-text", HELD_OUT, "--eval-chunks", str(args.eval_chunks)]

    builds = [("fp32", []), ("int8", ["--quantize=int8", *evals]), ("int4", ["--quantize=int4", *evals]),
              ("int8-f32-head", ["--quantize=int8", "--keep-fp32=lm_head"])]
    rows = []
    for name, extra in builds:
        program = compile_program(args, f"gemma3-{name}", [*extra, *tok])
        best = None
        for _ in range(args.repeats):
            prefill, decode, _, rss = sbs.xfc_bench(program, 128, args.gen_len, args.threads)
            if best is None or decode > best[1]:
                best = (prefill, decode, rss)
        rows.append(dict(engine=f"xfc {name}", file=program + ".xfw",
                         size=os.path.getsize(program + ".xfw"), prefill=best[0], decode=best[1],
                         rss=best[2], quality=quality(program)))
        print(rows[-1], flush=True)

    class WorkerArgs:
        threads, repeats, gen_len = args.threads, args.repeats, args.gen_len
    for quant in ("f32", "q8_0", "q4_k_m"):
        path = os.path.join(args.gguf_dir, f"gemma-3-270m-{quant}.gguf")
        row = dict(engine=f"llama.cpp {quant.upper()}", file=path)
        try:
            row["size"] = os.path.getsize(path)
            res = sbs.python_worker("llama", "decode", path, WorkerArgs)
            row["decode"] = max(res["decode"])
            row["rss"] = res["rss"]
            pre = sbs.python_worker("llama", "prefill", path, WorkerArgs, lens=[128])
            row["prefill"] = max(pre["prefill128"])
        except (OSError, sbs.EngineError) as e:
            row["failed"] = str(e)
        rows.append(row)
        print(row, flush=True)

    int8 = next(r for r in rows if r["engine"] == "xfc int8")
    f32head = next(r for r in rows if r["engine"] == "xfc int8-f32-head")
    head_ms = 1000 / f32head["decode"] - 1000 / int8["decode"]
    head_f32_bytes = VOCAB * HIDDEN * 4
    head_i8_bytes = VOCAB * HIDDEN + VOCAB * (HIDDEN // 128) * 4

    lines = [SECTION, "",
             f"Command: `python3 bench/gemma3_quantized.py {shlex.join(sys.argv[1:])}` "
             f"({sbs.machine_info().get('Model name', 'CPU?')}; {args.threads} threads; best of {args.repeats}). "
             f"xfc programs from `{os.path.relpath(args.onnx, ROOT)}` (scripts/make-gemma3.sh: "
             "optimum's export of the package's GGUF); llama.cpp is llama-cpp-python 0.3.36 on the "
             "package's Q4_K_M GGUF and its F32 / Q8_0 conversions (tools/gguf-to-onnx/gguf_requantize.py). "
             f"Prefill: 128 ids in one call; decode: {args.gen_len} greedy steps after a 16-token prompt. "
             f"Quality: `xfc --eval-text {HELD_OUT} --eval-chunks {args.eval_chunks}` (512-token chunks, "
             "fp32 program as the reference).", "",
             "| engine | file | prefill tok/s | decode tok/s | peak RSS | ppl (fp32) | KL vs fp32 | top-1 vs fp32 |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "failed" in r:
            lines.append(f"| {r['engine']} | - | failed: {r['failed']} | | | | | |")
            continue
        q = r.get("quality") or {}
        ppl = (f"{q['quantized']['perplexity']:.2f} ({q['fp32']['perplexity']:.2f})"
               if q.get("quantized") and q.get("fp32") else "-")
        qq = q.get("quantized", {})
        kl = f"{qq['mean_kl']:.4f}" if "mean_kl" in qq else "-"
        top1 = f"{100 * qq['top1_agreement']:.1f}%" if "top1_agreement" in qq else "-"
        lines.append(f"| {r['engine']} | {sbs.mib(r['size'])} | {r.get('prefill', 0):.1f} | "
                     f"{r['decode']:.1f} | {sbs.mib(r['rss'])} | {ppl} | {kl} | {top1} |")
    lines += ["", f"The LM head (262,144 x 640) per decoded token: int8 {sbs.mib(head_i8_bytes)} of weights "
              f"read (f32: {sbs.mib(head_f32_bytes)}); keeping it f32 in the int8 build costs "
              f"{head_ms:.1f} ms per token ({int8['decode']:.1f} -> {f32head['decode']:.1f} tok/s). "
              "In prefill only the last row's logits are computed (xf-select-logits-rows).", ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_docs:
        sbs.write_docs(args.docs, text, header=SECTION)


if __name__ == "__main__":
    main()
