#!/usr/bin/env python3
"""Flash attention's memory and speed (issue 5), a benchmark, not a test.

Compiles the Llama-style example (examples/make_llama_block.py) twice with
xfc, with attention fused into xf.attention and lowered to flash-attention
loops (the default) and with `--no-fuse=attention` (the exporter's
MatMul/Softmax/MatMul, which materializes the [S, S] scores of every head),
then runs `PROGRAM bench --prompt-len N --gen-len 0` for each N under
/usr/bin/time and reports peak RSS and prefill tokens/s. Fused RSS should
grow with N, unfused with N^2.

    python3 bench/attention_memory.py --xfc build/bin/xfc [--lengths 1024,2048,4096,8192]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_bench(program, length, threads):
    cmd = ["/usr/bin/time", "-v", program, "bench", "--prompt-len", str(length),
           "--gen-len", "0", "--threads", str(threads)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        return None, None, result.stderr.strip().splitlines()[-1]
    rss_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1))
    rate = float(re.search(r"prefill: \d+ tokens in [0-9.]+ s, ([0-9.]+) tokens/s", result.stdout).group(1))
    return rss_kib / 1024.0, rate, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--lengths", default="1024,2048,4096,8192")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2, help="best of N for the speed")
    args = parser.parse_args()
    lengths = [int(x) for x in args.lengths.split(",")]
    work = tempfile.mkdtemp(prefix="xf-attn-bench-")
    model = os.path.join(work, "llama.onnx")
    subprocess.run([sys.executable, os.path.join(ROOT, "examples", "make_llama_block.py"), model],
                   check=True, stdout=subprocess.DEVNULL)
    programs = {}
    for variant, extra in (("fused", []), ("unfused", ["--no-fuse=attention"])):
        program = os.path.join(work, variant)
        subprocess.run([args.xfc, model, "-o", program, "--max-context", str(max(lengths))] + extra,
                       check=True, stderr=subprocess.DEVNULL)
        programs[variant] = program

    print(f"| prompt tokens | fused peak RSS (MiB) | unfused peak RSS (MiB) | fused prefill tok/s | "
          f"unfused prefill tok/s | fused / unfused speed |")
    print("|---|---|---|---|---|---|")
    for n in lengths:
        row = {}
        for variant, program in programs.items():
            best_rss, best_rate, error = None, 0.0, None
            for _ in range(args.repeats):
                rss, rate, error = run_bench(program, n, args.threads)
                if rss is None:
                    break
                best_rss = rss if best_rss is None else min(best_rss, rss)
                best_rate = max(best_rate, rate)
            row[variant] = (best_rss, best_rate, error)
        def cell(v, i):
            rss, rate, error = row[v]
            if rss is None:
                return f"failed: {error}"
            return f"{rss:.0f}" if i == 0 else f"{rate:.0f}"
        fused, unfused = row["fused"], row["unfused"]
        ratio = (f"{fused[1] / unfused[1]:.2f}x" if fused[0] is not None and unfused[0] is not None
                 else "-")
        print(f"| {n} | {cell('fused', 0)} | {cell('unfused', 0)} | {cell('fused', 1)} | "
              f"{cell('unfused', 1)} | {ratio} |", flush=True)


if __name__ == "__main__":
    main()
