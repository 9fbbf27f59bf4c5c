#!/usr/bin/env python3
"""A row's logits must not depend on how many rows the call computes: a
speculative verify step (k + 1 rows of one sequence) and a batch of decode
steps must give, bit for bit, the logits of single decode steps, or greedy
output changes.

Compiles an example model with `xfc --emit=obj` (fp32, and each --quantize
given), links each object with RowInvariance.cpp's main and the runtime, and
runs it: through the engine's ModelStep it computes the same positions one
per call, as short fresh prompts, in chunks behind a short and a long
(flash-attention) prompt, and in batched and left-padded calls, and requires
the rows to be bitwise equal (RowInvariance.cpp's header lists the cases).

    python3 test/e2e/row_invariance.py --xfc build/bin/xfc --cxx clang++-22 \\
        --main build/test/e2e/libxf-row-invariance-main.a \\
        --runtime-dir build/runtime \\
        --model-script examples/make_llama_block.py --workdir /tmp/rowinv
"""
import argparse
import os
import shlex
import subprocess
import sys


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"FAILED: {shlex.join(cmd)}\n{out.stdout}{out.stderr}")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--cxx", required=True, help="the linker driver")
    parser.add_argument("--main", required=True, help="RowInvariance.cpp's library")
    parser.add_argument("--runtime-dir", required=True,
                        help="where libxfrt.a and libxfrt_main.a are")
    parser.add_argument("--model-script", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--quantize", default="int8",
                        help="comma-separated --quantize modes checked besides fp32")
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)

    model = os.path.join(args.workdir, "model.onnx")
    subprocess.run([sys.executable, args.model_script, model], check=True,
                   stdout=subprocess.DEVNULL)
    failed = False
    for variant in ["fp32"] + [q for q in args.quantize.split(",") if q]:
        obj = os.path.join(args.workdir, variant + ".o")
        flags = [] if variant == "fp32" else ["--quantize=" + variant]
        compiled = run([args.xfc, model, "-o", obj, "--emit=obj"] + flags)
        if "paged KV cache: blocks of" not in compiled.stderr:
            sys.exit(f"FAILED: xfc did not page the KV cache:\n{compiled.stderr}")
        program = os.path.join(args.workdir, variant)
        run([args.cxx, "-fuse-ld=lld", "-o", program, obj, args.main,
             os.path.join(args.runtime_dir, "libxfrt_main.a"),
             os.path.join(args.runtime_dir, "libxfrt.a"), "-lm", "-lpthread"])
        out = subprocess.run([program, obj + ".xfw"], capture_output=True, text=True)
        print(f"{variant}:")
        print(out.stdout, end="")
        if out.returncode != 0:
            print(out.stderr, end="")
            failed = True
    if failed:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
