#!/usr/bin/env python3
"""Compiles and runs every ONNX backend node test of the supported operators
with xf-run, and checks the outputs against the expected ones.

Selection is import_node_tests.py's (every test whose model uses only
operators of the onnx dialect). Each data set's inputs go to
`xf-run --input NAME=input_J.pb`; each output must match output_J.pb with
ONNX's own tolerances: |actual - expected| <= atol + rtol * |expected| with
rtol 1e-3, atol 1e-7 for floating point; exact for integers and bools; NaN
exactly where NaN is expected.

Known failures are listed in expected_failures.txt beside this file, one
`test_name: reason` per line. The run fails if a test fails that the list does
not name (a regression) and also if a listed test passes (so the list only
shrinks). Writes a Markdown report (--doc).

  python3 test/conformance/run_node_tests.py --xf-run build/bin/xf-run \\
      --doc docs/conformance.md
"""
import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import import_node_tests as selection  # noqa: E402

EXPECTED_FAILURES = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 "expected_failures.txt")
RTOL, ATOL = 1e-3, 1e-7


def load_expected_failures(path):
    expected = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    name, _, reason = line.partition(":")
                    expected[name.strip()] = reason.strip()
    return expected


def compare(actual, expected):
    """None if `actual` matches `expected`, else what differs."""
    if actual.shape != expected.shape:
        return f"shape {list(actual.shape)}, expected {list(expected.shape)}"
    if actual.dtype != expected.dtype:
        return f"dtype {actual.dtype}, expected {expected.dtype}"
    # ml_dtypes' bfloat16 and float8 types are not numpy floating subtypes.
    if np.issubdtype(expected.dtype, np.floating) or "float" in expected.dtype.name:
        a, e = actual.astype(np.float64), expected.astype(np.float64)
        nan_mismatch = np.isnan(a) != np.isnan(e)
        if nan_mismatch.any():
            return "NaN where a number is expected, or the reverse"
        finite = ~np.isnan(e)
        inf_mismatch = np.isinf(e[finite]) & (a[finite] != e[finite])
        if inf_mismatch.any():
            return "an infinity differs"
        bad = np.abs(a - e) > ATOL + RTOL * np.abs(e)
        bad &= finite & ~np.isinf(e)
        if bad.any():
            i = np.unravel_index(np.argmax(bad), bad.shape)
            return f"at {list(i)}: {a[i]!r}, expected {e[i]!r} ({bad.sum()} of {bad.size} differ)"
        return None
    if not np.array_equal(actual, expected):
        i = np.unravel_index(np.argmax(actual != expected), actual.shape) if actual.size else ()
        return f"at {list(i)}: {actual[i]!r}, expected {expected[i]!r}"
    return None


def run_test(xf_run, test_dir, model, timeout):
    """(passed, reason) for every data set of one node test."""
    initializers = {i.name for i in model.graph.initializer}
    input_names = [i.name for i in model.graph.input if i.name not in initializers]
    output_names = [o.name for o in model.graph.output]
    data_sets = sorted(d for d in os.listdir(test_dir) if d.startswith("test_data_set_"))
    for data_set in data_sets:
        ds = os.path.join(test_dir, data_set)
        inputs = sorted(f for f in os.listdir(ds) if re.match(r"input_\d+\.pb$", f))
        args = [xf_run, os.path.join(test_dir, "model.onnx"), "--bind-small-int-inputs"]
        for j, f in enumerate(sorted(inputs, key=lambda f: int(f[6:-3]))):
            args += ["--input", f"{input_names[j]}={os.path.join(ds, f)}"]
        with tempfile.TemporaryDirectory() as out:
            args += ["--output-dir", out]
            try:
                proc = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                      text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                return False, f"timed out after {timeout} s"
            if proc.returncode != 0:
                what = f"crashed (signal {-proc.returncode})" if proc.returncode < 0 else "did not compile"
                lines = [l for l in proc.stderr.splitlines() if l.strip() and "note:" not in l]
                first = lines[0].replace(test_dir + "/", "") if lines else "(no message)"
                return False, f"{what}: {first[:200]}"
            for j, name in enumerate(output_names):
                expected_path = os.path.join(ds, f"output_{j}.pb")
                if not os.path.exists(expected_path):
                    continue
                expected = numpy_helper.to_array(onnx.load_tensor(expected_path))
                actual_path = os.path.join(out, f"{name}.pb")
                if not os.path.exists(actual_path):
                    return False, f"output '{name}' was not written"
                actual = numpy_helper.to_array(onnx.load_tensor(actual_path))
                diff = compare(actual, expected)
                if diff:
                    return False, f"{data_set} output '{name}': {diff}"
    return True, None


def write_doc(path, results, expected_failures, node_dir):
    by_op = {}
    for name, (op, passed, reason) in results.items():
        by_op.setdefault(op, []).append((name, passed, reason))
    passed_total = sum(1 for _, p, _ in results.values() if p)
    lines = [
        "# ONNX backend node tests: compiled and run",
        "",
        "Generated by `test/conformance/run_node_tests.py` (ctest: "
        "`onnx-node-tests-run`); do not edit.",
        "",
        f"onnx {onnx.__version__}: every node test whose model uses only operators of the "
        "onnx dialect is compiled with the CPU pipeline by `xf-run`, run on each of its "
        "data sets, and compared with the expected outputs (rtol 1e-3, atol 1e-7 for "
        "floating point, exact for integers and bools).",
        "",
        f"**{passed_total} of {len(results)} pass.** Failures are listed with their reason; "
        "known ones are tracked in test/conformance/expected_failures.txt.",
        "",
        "| operator | tests | pass | fail |",
        "|---|---|---|---|",
    ]
    for op in sorted(by_op):
        tests = by_op[op]
        ok = sum(1 for _, p, _ in tests if p)
        lines.append(f"| {op} | {len(tests)} | {ok} | {len(tests) - ok} |")
    failures = sorted((n, r) for n, (_, p, r) in results.items() if not p)
    if failures:
        lines += ["", "## Failures", "", "| test | reason |", "|---|---|"]
        for name, reason in failures:
            lines.append(f"| {name} | {selection.markdown_escape(reason or '')} |")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--xf-run", required=True)
    parser.add_argument("--doc")
    parser.add_argument("--node-dir")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=int, default=300)
    parser.add_argument("--filter", default="")
    parser.add_argument("--write-expected-failures", action="store_true",
                        help="rewrite expected_failures.txt from this run")
    args = parser.parse_args()

    node_dir = args.node_dir or os.path.join(
        os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
    ops = selection.supported_ops(selection.OPS_TD)
    models, importable = selection.select_tests(node_dir, ops, args.filter)
    # Tests that need a documented non-goal cannot compile; the import walk
    # reports them.
    selected = {name: op for name, op in importable.items()
                if not selection.non_goal_of(models[name])}

    def run(name):
        passed, reason = run_test(args.xf_run, os.path.join(node_dir, name), models[name],
                                  args.timeout)
        return name, passed, reason

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for name, passed, reason in pool.map(run, sorted(selected)):
            results[name] = (selected[name], passed, reason)

    expected_failures = load_expected_failures(EXPECTED_FAILURES)
    if args.write_expected_failures:
        with open(EXPECTED_FAILURES, "w") as f:
            f.write("# Node tests that do not pass yet, with the reason; run_node_tests.py\n"
                    "# fails when a test not listed here fails or a listed one passes.\n")
            for name, (_, passed, reason) in sorted(results.items()):
                if not passed:
                    f.write(f"{name}: {reason}\n")
        expected_failures = load_expected_failures(EXPECTED_FAILURES)
    if args.doc:
        write_doc(args.doc, results, expected_failures, node_dir)

    regressions = [n for n, (_, p, _) in results.items() if not p and n not in expected_failures]
    fixed = [n for n, (_, p, _) in results.items() if p and n in expected_failures]
    for name in regressions:
        print(f"FAIL {name}: {results[name][2]}")
    for name in fixed:
        print(f"NOW PASSES (remove it from expected_failures.txt): {name}")
    passed = sum(1 for _, p, _ in results.values() if p)
    print(f"onnx {onnx.__version__} node tests run: {len(results)} selected, {passed} pass, "
          f"{len(results) - passed} fail ({len(results) - passed - len(regressions)} known)")
    return 1 if regressions or fixed else 0


if __name__ == "__main__":
    sys.exit(main())
