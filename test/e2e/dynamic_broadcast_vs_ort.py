#!/usr/bin/env python3
"""Broadcasting over dimensions that are `?` in the graph: xf-run against
ONNX Runtime.

Each case is a model of one to a few nodes whose inputs have dynamic
dimensions (neither a value nor a name), run with sizes that are 1 at run
time where the other operand's are not, in each position and on either side
(Add, Mul, Where, Pow, Max, Less, MatMul's batch dimensions, Expand, Gemm's
C, LayerNormalization's scale, an attention whose mask's head dimension is
`?` and 1: the bug this test was written for, where heads 1 and up read past
the mask). Every output must agree with onnxruntime's within

    |xfc - ort| <= RTOL * max(1, max|ort|),  RTOL = 1e-5,

(both compute in f32 from the same inputs; the few-node cases differ only in
summation order), with the output's shape. The ERRORS cases give sizes that
do not broadcast: xf-run must exit with status 1 and print the message the
generated code's check prints (the op's node, the two sizes), never read
out of bounds.

With --sanitize, xf-run runs the generated code under AddressSanitizer
(--sanitize=address): any out-of-bounds access fails the case with ASan's
report, so the test fails on a lowering that reads past a buffer even where
the values it reads happen to look right.

    python3 test/e2e/dynamic_broadcast_vs_ort.py --xf-run build/bin/xf-run \\
        --workdir /tmp/dynamic-broadcast [--sanitize] [--only add_]
"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RTOL = 1e-5
FLOAT, INT64, BOOL = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL
NP = {FLOAT: np.float32, INT64: np.int64, BOOL: np.bool_}


def dyn(rank):
    """A shape of `rank` dimensions that are all `?`."""
    return [None] * rank


def model(nodes, inputs, outputs, initializers=()):
    """inputs/outputs: (name, elem_type, rank)."""
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info(n, t, dyn(r)) for n, t, r in inputs],
        [helper.make_tensor_value_info(n, t, dyn(r)) for n, t, r in outputs],
        initializer=list(initializers))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    m.ir_version = 8
    return m


def rand(rng, shape, elem=FLOAT):
    if elem == BOOL:
        return rng.random(shape) < 0.5
    if elem == INT64:
        return rng.integers(-3, 4, shape).astype(np.int64)
    return rng.standard_normal(shape).astype(np.float32)


def binary(op, a_shape, b_shape, elem=FLOAT, out_elem=None):
    def build(rng):
        m = model([helper.make_node(op, ["a", "b"], ["y"], name=op.lower())],
                  [("a", elem, len(a_shape)), ("b", elem, len(b_shape))],
                  [("y", out_elem or elem, max(len(a_shape), len(b_shape)))])
        a, b = rand(rng, a_shape, elem), rand(rng, b_shape, elem)
        if op == "Pow":
            a = np.abs(a) + 0.5
        return m, {"a": a, "b": b}
    return build


def where(c_shape, x_shape, y_shape):
    def build(rng):
        rank = max(map(len, (c_shape, x_shape, y_shape)))
        m = model([helper.make_node("Where", ["c", "x", "y"], ["z"], name="where")],
                  [("c", BOOL, len(c_shape)), ("x", FLOAT, len(x_shape)),
                   ("y", FLOAT, len(y_shape))],
                  [("z", FLOAT, rank)])
        return m, {"c": rand(rng, c_shape, BOOL), "x": rand(rng, x_shape),
                   "y": rand(rng, y_shape)}
    return build


def max3(a_shape, b_shape, c_shape):
    def build(rng):
        rank = max(map(len, (a_shape, b_shape, c_shape)))
        m = model([helper.make_node("Max", ["a", "b", "c"], ["y"], name="max")],
                  [("a", FLOAT, len(a_shape)), ("b", FLOAT, len(b_shape)),
                   ("c", FLOAT, len(c_shape))],
                  [("y", FLOAT, rank)])
        return m, {"a": rand(rng, a_shape), "b": rand(rng, b_shape),
                   "c": rand(rng, c_shape)}
    return build


def matmul(a_shape, b_shape):
    def build(rng):
        rank = max(len(a_shape), len(b_shape))
        m = model([helper.make_node("MatMul", ["a", "b"], ["y"], name="matmul")],
                  [("a", FLOAT, len(a_shape)), ("b", FLOAT, len(b_shape))],
                  [("y", FLOAT, rank)])
        return m, {"a": rand(rng, a_shape), "b": rand(rng, b_shape)}
    return build


def expand(x_shape, target):
    def build(rng):
        rank = max(len(x_shape), len(target))
        m = model([helper.make_node("Expand", ["x", "shape"], ["y"], name="expand")],
                  [("x", FLOAT, len(x_shape)), ("shape", INT64, 1)],
                  [("y", FLOAT, rank)])
        # The shape's length must be static for the result's rank.
        m.graph.input[1].type.tensor_type.shape.dim[0].dim_value = len(target)
        return m, {"x": rand(rng, x_shape),
                   "shape": np.array(target, dtype=np.int64)}
    return build


def gemm(a_shape, b_shape, c_shape):
    def build(rng):
        m = model([helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="gemm",
                                    alpha=0.5, beta=2.0)],
                  [("a", FLOAT, 2), ("b", FLOAT, 2), ("c", FLOAT, len(c_shape))],
                  [("y", FLOAT, 2)])
        return m, {"a": rand(rng, a_shape), "b": rand(rng, b_shape),
                   "c": rand(rng, c_shape)}
    return build


def layer_norm(x_shape, scale_shape):
    def build(rng):
        m = model([helper.make_node("LayerNormalization", ["x", "scale", "bias"],
                                    ["y"], name="layernorm", axis=-1)],
                  [("x", FLOAT, len(x_shape)), ("scale", FLOAT, len(scale_shape)),
                   ("bias", FLOAT, len(scale_shape))],
                  [("y", FLOAT, len(x_shape))])
        return m, {"x": rand(rng, x_shape), "scale": rand(rng, scale_shape),
                   "bias": rand(rng, scale_shape)}
    return build


def concat(a_shape, b_shape):
    def build(rng):
        m = model([helper.make_node("Concat", ["a", "b"], ["y"], name="concat",
                                    axis=-1)],
                  [("a", FLOAT, len(a_shape)), ("b", FLOAT, len(b_shape))],
                  [("y", FLOAT, len(a_shape))])
        return m, {"a": rand(rng, a_shape), "b": rand(rng, b_shape)}
    return build


def attention(batch, heads, q, kv, mask_shape, dim=8):
    """softmax(Q K^T * scale + mask) V, the form attention fusion turns into
    xf.attention; every dimension of every input is `?`."""
    def build(rng):
        scale = numpy_helper.from_array(np.array(dim ** -0.5, np.float32), "scale")
        nodes = [
            helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
            helper.make_node("MatMul", ["q", "kt"], ["scores"]),
            helper.make_node("Mul", ["scores", "scale"], ["scaled"]),
            helper.make_node("Add", ["scaled", "mask"], ["masked"], name="add_mask"),
            helper.make_node("Softmax", ["masked"], ["probs"], axis=-1),
            helper.make_node("MatMul", ["probs", "v"], ["out"]),
        ]
        m = model(nodes, [("q", FLOAT, 4), ("k", FLOAT, 4), ("v", FLOAT, 4),
                          ("mask", FLOAT, len(mask_shape))],
                  [("out", FLOAT, 4)], [scale])
        mask = np.where(rng.random(mask_shape) < 0.3, -1e4, 0.0).astype(np.float32)
        return m, {"q": rand(rng, (batch, heads, q, dim)),
                   "k": rand(rng, (batch, heads, kv, dim)),
                   "v": rand(rng, (batch, heads, kv, dim)), "mask": mask}
    return build


def chain(a_shape, b_shape, c_shape):
    """(a + b) * c with a different broadcast in each op."""
    def build(rng):
        rank = max(map(len, (a_shape, b_shape, c_shape)))
        m = model([helper.make_node("Add", ["a", "b"], ["s"], name="add"),
                   helper.make_node("Mul", ["s", "c"], ["y"], name="mul")],
                  [("a", FLOAT, len(a_shape)), ("b", FLOAT, len(b_shape)),
                   ("c", FLOAT, len(c_shape))],
                  [("y", FLOAT, rank)])
        return m, {"a": rand(rng, a_shape), "b": rand(rng, b_shape),
                   "c": rand(rng, c_shape)}
    return build


CASES = {
    # The report: scores [b, 9, q, k] + mask [b, ?, q, k] with the mask's
    # head dimension 1 at run time.
    "add_mask_heads_1": binary("Add", (2, 9, 3, 5), (2, 1, 3, 5)),
    "add_mask_heads_9": binary("Add", (2, 9, 3, 5), (2, 9, 3, 5)),
    "add_mask_all_1": binary("Add", (2, 9, 3, 5), (1, 1, 1, 1)),
    "add_lhs_1_dim0": binary("Add", (1, 4, 5), (3, 4, 5)),
    "add_lhs_1_dim1": binary("Add", (3, 1, 5), (3, 4, 5)),
    "add_lhs_1_dim2": binary("Add", (3, 4, 1), (3, 4, 5)),
    "add_rhs_1_dim0": binary("Add", (3, 4, 5), (1, 4, 5)),
    "add_rhs_1_dim1": binary("Add", (3, 4, 5), (3, 1, 5)),
    "add_rhs_1_dim2": binary("Add", (3, 4, 5), (3, 4, 1)),
    "add_both_sides": binary("Add", (1, 4, 1), (3, 1, 5)),
    "add_lower_rank": binary("Add", (3, 4, 5), (4, 1)),
    "add_all_1": binary("Add", (1, 1, 1), (1, 1, 1)),
    "sub_int64": binary("Sub", (3, 1), (1, 4), INT64),
    "mul_lhs_1": binary("Mul", (1, 6), (5, 6)),
    "mul_rhs_1": binary("Mul", (5, 6), (5, 1)),
    "div_both": binary("Div", (5, 1), (1, 6)),
    "pow_rhs_1": binary("Pow", (4, 5), (1, 5)),
    "less_lhs_1": binary("Less", (1, 5), (4, 5), FLOAT, BOOL),
    "where_all_sides": where((3, 1), (1,), (1, 4)),
    "where_cond_1": where((1, 1), (3, 4), (3, 1)),
    "max3": max3((1, 4), (3, 1), (1, 1)),
    "matmul_batch_lhs_1": matmul((1, 4, 5), (3, 5, 6)),
    "matmul_batch_rhs_1": matmul((3, 4, 5), (1, 5, 6)),
    "matmul_batch_4d": matmul((1, 3, 4, 5), (2, 1, 5, 6)),
    "matmul_batch_lower_rank": matmul((2, 3, 4, 5), (1, 5, 6)),
    "expand_dim0": expand((1, 4), (3, 4)),
    "expand_dim1": expand((3, 1), (3, 5)),
    "expand_new_dims": expand((1, 4), (2, 3, 4)),
    "expand_target_1": expand((3, 4), (1, 4)),
    "gemm_c_scalar": gemm((3, 4), (4, 5), (1,)),
    "gemm_c_row": gemm((3, 4), (4, 5), (1, 5)),
    "gemm_c_column": gemm((3, 4), (4, 5), (3, 1)),
    "layer_norm_scale_1": layer_norm((2, 3, 8), (1,)),
    "attention_mask_heads_1": attention(2, 4, 3, 5, (2, 1, 3, 5)),
    "attention_mask_batch_heads_1": attention(2, 4, 3, 5, (1, 1, 3, 5)),
    "attention_mask_queries_1": attention(2, 4, 3, 5, (2, 4, 1, 5)),
    "attention_mask_keys_1": attention(2, 4, 3, 5, (2, 1, 3, 1)),
    "chain": chain((1, 4, 5), (3, 1, 5), (3, 4, 1)),
}

# Sizes that neither match nor broadcast: exit status 1 and this message.
ERRORS = {
    "add_incompatible": (
        binary("Add", (3, 4), (5, 4)),
        r"error: .*node 'add' \(onnx\.Add\): dimension 0 of input 0 is 3, "
        r"which does not broadcast to 5"),
    "mask_heads_incompatible": (
        binary("Add", (2, 9, 3, 5), (2, 4, 3, 5)),
        r"error: .*node 'add' \(onnx\.Add\): dimension 1 of input \d is \d, "
        r"which does not broadcast to 9"),
    "matmul_batch_incompatible": (
        matmul((2, 4, 5), (3, 5, 6)),
        r"error: .*node 'matmul' \(onnx\.MatMul\): batch dimension 0 of input "
        r"0 is 2, which does not broadcast to 3"),
    "matmul_contraction": (
        matmul((2, 4, 5), (2, 6, 3)),
        r"error: .*node 'matmul' \(onnx\.MatMul\): the contraction dimension "
        r"of input 1 \(dimension 1\), against input 0's is 6 but must be 5"),
    "concat_other_dim": (
        concat((2, 3), (4, 3)),
        r"error: .*node 'concat' \(onnx\.Concat\): dimension 0 of input \d "
        r"is \d but must be \d"),
    "expand_incompatible": (
        expand((3, 4), (2, 4)),
        r"error: .*node 'expand' \(onnx\.Expand\): dimension 0 of the input "
        r"is 3, which does not broadcast to 2"),
}


def run_xf(xf_run, case_dir, path, feeds, sanitize):
    args = [xf_run, path, "--output-dir", case_dir]
    if sanitize:
        args.append("--sanitize=address")
    for name, array in feeds.items():
        pb = os.path.join(case_dir, f"{name}.input.pb")
        onnx.save_tensor(numpy_helper.from_array(array, name), pb)
        args += ["--input", f"{name}={pb}"]
    return subprocess.run(args, capture_output=True, text=True)


def sanitizer_report(stderr):
    if "AddressSanitizer" not in stderr:
        return None
    lines = [l for l in stderr.splitlines() if "ERROR: AddressSanitizer" in l
             or "READ of size" in l or "WRITE of size" in l]
    return "; ".join(lines[:3]) or stderr.strip()[:300]


def run_case(xf_run, workdir, name, build, sanitize, rng):
    import onnxruntime as ort
    m, feeds = build(rng)
    case_dir = os.path.join(workdir, name)
    os.makedirs(case_dir, exist_ok=True)
    path = os.path.join(case_dir, "model.onnx")
    onnx.save(m, path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    expected = dict(zip(names, session.run(None, feeds)))
    proc = run_xf(xf_run, case_dir, path, feeds, sanitize)
    report = sanitizer_report(proc.stderr)
    if report:
        return f"AddressSanitizer: {report}"
    if proc.returncode != 0:
        return f"xf-run exited {proc.returncode}: {proc.stderr.strip()[:500]}"
    for out, want in expected.items():
        got = numpy_helper.to_array(
            onnx.load_tensor(os.path.join(case_dir, f"{out}.pb")))
        if got.shape != want.shape:
            return f"{out}: shape {got.shape}, expected {want.shape}"
        if want.dtype == np.bool_ or want.dtype.kind in "iu":
            if not np.array_equal(got, want):
                return f"{out}: {int((got != want).sum())} elements differ"
            continue
        scale = max(1.0, float(np.abs(want).max()))
        err = float(np.abs(got.astype(np.float64) - want).max())
        if not err <= RTOL * scale:
            return f"{out}: max error {err:.3g} (allowed {RTOL * scale:.3g})"
    return None


def run_error_case(xf_run, workdir, name, build, pattern, sanitize, rng):
    m, feeds = build(rng)
    case_dir = os.path.join(workdir, name)
    os.makedirs(case_dir, exist_ok=True)
    path = os.path.join(case_dir, "model.onnx")
    onnx.save(m, path)
    proc = run_xf(xf_run, case_dir, path, feeds, sanitize)
    report = sanitizer_report(proc.stderr)
    if report:
        return f"AddressSanitizer: {report}"
    if proc.returncode != 1:
        return f"exit status {proc.returncode}, expected 1 ({proc.stderr.strip()[:300]})"
    if not re.search(pattern, proc.stderr):
        return f"stderr {proc.stderr.strip()[:300]!r} does not match {pattern!r}"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xf-run", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--sanitize", action="store_true",
                        help="run the generated code under AddressSanitizer")
    parser.add_argument("--only", default="",
                        help="run only the cases whose name contains this")
    args = parser.parse_args()
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        print("onnxruntime is not installed; skipping")
        return 77
    os.makedirs(args.workdir, exist_ok=True)
    failures = 0
    for name, build in CASES.items():
        if args.only not in name:
            continue
        error = run_case(args.xf_run, args.workdir, name, build, args.sanitize,
                         np.random.default_rng(0))
        print(f"{name}: {'ok' if not error else 'FAILED: ' + error}")
        failures += error is not None
    for name, (build, pattern) in ERRORS.items():
        if args.only not in name:
            continue
        error = run_error_case(args.xf_run, args.workdir, name, build, pattern,
                               args.sanitize, np.random.default_rng(0))
        print(f"{name}: {'ok (refused)' if not error else 'FAILED: ' + error}")
        failures += error is not None
    print(f"{failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
