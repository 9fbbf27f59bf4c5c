#!/usr/bin/env python3
"""Attention operators: xfc against ONNX Runtime's CPU kernels.

Each case of test/importer/Inputs/make_contrib_attention_model.py (one node
of com.microsoft MultiHeadAttention, GroupQueryAttention or RotaryEmbedding,
or ONNX's Attention or RotaryEmbedding; random f32 inputs) is compiled and
run by `xf-run` (the CPU pipeline: the node is raised to xf.attention and
xf.rope) and by onnxruntime; every output (output, present_key,
present_value) must agree within

    |xfc - ort| <= RTOL * max|ort|  (per output),  RTOL = 1e-5,

on every element. That includes GroupQueryAttention's ragged batches
(rows shorter than total_sequence_length, with and without a past), its
padding rows and the zero tail of present_key/present_value: xfc computes
what ONNX Runtime's kernel computes there too.

Why 1e-5: both sides compute in f32 from the same inputs; they differ only in
summation order (flash attention's online softmax, tiled sums) and in how
exp, sin and cos round, a few f32 ulps (6e-8 each) of the output's scale.
present_key/present_value are copies (and rotations) of the inputs, so they
agree far tighter; 1e-5 still catches any wrong head, position or mask.

    python3 test/e2e/contrib_attention_vs_ort.py --xf-run build/bin/xf-run \\
        --workdir /tmp/contrib
"""
import argparse
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "importer", "Inputs"))
import make_contrib_attention_model as models  # noqa: E402

RTOL = 1e-5
# Refused by xfc with a message (test/importer/contrib-attention.test).
REFUSED = {"mha_packed_qkv", "gqa_smooth_softmax", "gqa_head_sink", "gqa_window_zero"}


def run_case(xf_run, workdir, case):
    import onnxruntime as ort
    model, feeds = models.build(case)
    case_dir = os.path.join(workdir, case)
    os.makedirs(case_dir, exist_ok=True)
    path = os.path.join(case_dir, "model.onnx")
    onnx.save(model, path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    expected = dict(zip(names, session.run(None, feeds)))
    args = [xf_run, path, "--output-dir", case_dir]
    for name, array in feeds.items():
        pb = os.path.join(case_dir, f"{name}.input.pb")
        onnx.save_tensor(numpy_helper.from_array(array, name), pb)
        args += ["--input", f"{name}={pb}"]
    proc = subprocess.run(args, capture_output=True, text=True)
    if proc.returncode != 0:
        return [f"xf-run failed: {proc.stderr.strip()[:500]}"]
    errors = []
    for name, want in expected.items():
        got = numpy_helper.to_array(onnx.load_tensor(os.path.join(case_dir, f"{name}.pb")))
        if got.shape != want.shape:
            errors.append(f"{name}: shape {got.shape}, expected {want.shape}")
            continue
        scale = float(np.abs(want).max())
        err = float(np.abs(got.astype(np.float64) - want).max())
        status = "ok" if err <= RTOL * scale else "FAILED"
        print(f"  {case}/{name}: max error {err:.2e} (scale {scale:.2e}) {status}")
        if status != "ok":
            errors.append(f"{name}: max error {err:.3e} > {RTOL} * {scale:.3e}")
    return errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xf-run", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        print("onnxruntime is not installed: skipped")
        sys.exit(77)
    failures = {}
    for case in models.CASES:
        if case in REFUSED:
            continue
        errors = run_case(args.xf_run, args.workdir, case)
        if errors:
            failures[case] = errors
    for case, errors in failures.items():
        for e in errors:
            print(f"FAILED {case}: {e}")
    if failures:
        sys.exit(1)
    print(f"all {len(models.CASES) - len(REFUSED)} cases within {RTOL} of onnxruntime")


if __name__ == "__main__":
    main()
