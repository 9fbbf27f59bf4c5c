#!/usr/bin/env python3
"""End-to-end test of the xfc compile CLI against onnxruntime.

Makes a model with one of the example scripts, compiles it with xfc, runs the
program it writes, and checks its greedy decoding against the same greedy
loop run with onnxruntime:

  python3 test/e2e/run_e2e.py --xfc build/bin/xfc \\
      --model-script examples/make_gpt2_block.py --workdir /tmp/e2e-gpt2 \\
      [--prompt 1,2,3] [--tokens 32] [--external-data] [--model-args=--with-past]
  python3 test/e2e/run_e2e.py --reference-only \\
      --model-script examples/make_gpt2_block.py --workdir /tmp/e2e-gpt2

The xfc contract it tests:
  `xfc MODEL.onnx -o OUT` writes the executable OUT and the weights OUT.xfw.
  `OUT --tokens 1,2,3 --max-tokens N` decodes greedily and prints the N
  generated ids (not the prompt) as one comma-separated line on stdout.
  `... --logits FILE` also writes float32 little-endian logits, one row of
  `vocab` floats per forward position: rows for positions
  0 .. len(prompt) + N - 2 (the prompt's positions in order, then one per
  generated token except the last).
Both forms are run; they must print the same ids.

The reference is onnxruntime (CPU, one thread) on the same ONNX file, batch
1, attention_mask all ones, recomputing the whole sequence at every step;
its greedy choice is np.argmax (the lowest id wins an exact tie). The
reference's rows are collected in the same order as the contract's --logits
rows. A model with a KV cache in its signature (inputs past_key_values.*,
as optimum's with_past exports have) gets empty pasts, zeros of shape
[1, kv_heads, 0, head_dim], so it too recomputes the whole sequence, with an
all-ones attention_mask of the sequence's length; only its logits output is
used (the present.* outputs are ignored).

Checks:
  1. ids: the program's generated ids equal the reference's, all N of them.
  2. logits: the file holds exactly (len(prompt) + N - 1) * vocab floats,
     and every row r passes
         all finite, and  max_j |a[r,j] - e[r,j]| <= RTOL * max_j |e[r,j]|
     with RTOL = 1e-4 (--rtol), a = the program's row, e = the reference's
     row for the same position and the same preceding tokens.
     Why relative to the row's largest magnitude rather than elementwise:
     a logit is a dot product of the final hidden state with an embedding
     row, so float32 rounding (and a different summation order, a fused
     kernel, a polynomial exp or erf) perturbs every entry by an amount set
     by the scale of the row, not of that entry; an entry that happens to be
     near 0 has no meaningful relative error, and an elementwise rtol would
     fail it spuriously (or need an atol that means nothing across models).
     The criterion is scale invariant and is exactly what decides greedy
     decoding: if every entry is within d = RTOL * max|e| and the
     reference's top-1 beats its top-2 by more than 2d, the program must
     pick the same token. The driver checks that precondition on the
     reference at every step and reports the smallest margin, so a passing
     logits check with failing ids means a real bug, not a near tie.
     Measured headroom on the two examples: onnxruntime with all graph
     optimizations vs none differs by at most 5e-7 of the row scale, and a
     float64 numpy implementation of the GPT-2 example by at most 1.2e-6
     (128 positions): two orders of magnitude inside RTOL.
  If the ids diverge at step k, the rows after the divergence are compared
  against onnxruntime run on the program's own tokens, so the report says
  whether the program's logits were right where its choice differed.

--model-args passes extra arguments to the model script (one string, split
like a shell command line; write it --model-args=--with-past so that it is
not taken for an option of this driver).

Files in --workdir: model.onnx (and model.onnx.data with --external-data),
reference.ids and reference_logits.bin (the reference in the --logits
format), model and model.xfw (xfc's output), xfc_logits.bin.

Exit status: 0 pass, 1 mismatch or a failing step (the report says which),
2 usage error, 77 skip (xfc not found; the reason is printed). With
--reference-only nothing needs xfc: the reference loop runs and its ids are
printed on stdout as one comma-separated line, like the program's.
"""
import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_SKIP = 0, 1, 2, 77
DEFAULT_PROMPT = "1,2,3,4,5,6,7,8"
DEFAULT_TOKENS = 32


class UsageError(Exception):
    pass


class StepFailed(Exception):
    """A step (making, compiling or running) failed; the message says how."""


def parse_ids(text, what):
    """'1, 2,3' -> [1, 2, 3]; raises ValueError naming `what` otherwise."""
    parts = [p.strip() for p in text.strip().split(",")]
    if not text.strip() or any(not p.lstrip("-").isdigit() for p in parts):
        raise ValueError(f"{what} is not a comma-separated list of integers: {text.strip()[:200]!r}")
    return [int(p) for p in parts]


def csv(ids):
    return ",".join(str(i) for i in ids)


def run(cmd, timeout, what):
    """Runs `cmd`, returns (stdout, seconds); raises StepFailed on a nonzero
    status, a timeout or a missing program."""
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise StepFailed(f"{what} timed out after {timeout} s: {' '.join(cmd)}")
    except OSError as e:
        raise StepFailed(f"{what} could not start: {' '.join(cmd)}: {e}")
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        status = f"status {proc.returncode}"
        if proc.returncode < 0:
            try:
                status = f"signal {signal.Signals(-proc.returncode).name}"
            except ValueError:
                status = f"signal {-proc.returncode}"
        raise StepFailed(f"{what} failed with {status}: {' '.join(cmd)}\n"
                         f"--- stdout ---\n{proc.stdout[-4000:]}--- stderr ---\n{proc.stderr[-4000:]}")
    return proc.stdout, seconds


# ---------------------------------------------------------------- reference

class Reference:
    """onnxruntime on the model: forward passes over one sequence."""

    def __init__(self, model_path):
        import onnx
        import onnxruntime as ort
        # Load through onnx so external data is read into memory: onnxruntime
        # cannot run shape inference over constants kept in external data.
        model = onnx.load(model_path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 4  # errors are reported by StepFailed
        self.session = ort.InferenceSession(model.SerializeToString(), options,
                                            providers=["CPUExecutionProvider"])
        self.version = ort.__version__
        inputs = {i.name for i in self.session.get_inputs()}
        if "input_ids" not in inputs:
            raise StepFailed(f"{model_path}: no input named input_ids (inputs: {sorted(inputs)})")
        self.has_mask = "attention_mask" in inputs
        # KV cache inputs (optimum's with_past): fed empty, [1, kv_heads, 0, head_dim].
        self.pasts = {}
        for i in self.session.get_inputs():
            if not i.name.startswith("past_key_values."):
                continue
            shape = i.shape
            if len(shape) != 4 or not all(isinstance(d, int) for d in (shape[1], shape[3])):
                raise StepFailed(f"{model_path}: input {i.name} has shape {shape}; expected "
                                 f"[batch, kv_heads, past_sequence_length, head_dim] with static "
                                 f"kv_heads and head_dim")
            dtype = {"tensor(float)": np.float32, "tensor(float16)": np.float16,
                     "tensor(double)": np.float64}.get(i.type)
            if dtype is None:
                raise StepFailed(f"{model_path}: input {i.name} has type {i.type}; expected a float type")
            self.pasts[i.name] = np.zeros((1, shape[1], 0, shape[3]), dtype=dtype)
        self.output = "logits" if "logits" in {o.name for o in self.session.get_outputs()} \
            else self.session.get_outputs()[0].name
        vocab = self.session.get_outputs()[0].shape[-1]
        self.vocab = vocab if isinstance(vocab, int) else self.forward([0]).shape[-1]

    def forward(self, ids):
        """Logits [len(ids), vocab] for one sequence, recomputed in full."""
        feed = {"input_ids": np.array([ids], dtype=np.int64)}
        if self.has_mask:
            feed["attention_mask"] = np.ones((1, len(ids)), dtype=np.int64)
        feed.update(self.pasts)
        try:
            out = self.session.run([self.output], feed)[0]
        except Exception as e:  # onnxruntime raises its own exception types
            raise StepFailed(f"onnxruntime failed on a sequence of {len(ids)} tokens: {e}")
        return np.asarray(out, dtype=np.float32)[0]

    def greedy(self, prompt, n):
        """The greedy loop: (generated ids, logits rows in the --logits order,
        per-step (top-1 id, runner-up id, top-1 minus runner-up))."""
        seq, generated, rows, steps = list(prompt), [], [], []
        for step in range(n):
            logits = self.forward(seq)
            rows.extend(logits if step == 0 else logits[-1:])
            last = logits[-1]
            best = int(np.argmax(last))
            runner_up = int(np.argmax(np.where(np.arange(last.size) == best, -np.inf, last)))
            steps.append((best, runner_up, float(last[best] - last[runner_up])))
            generated.append(best)
            seq.append(best)
        return generated, np.stack(rows), steps

    def rows_for(self, prompt, generated):
        """Rows in the --logits order for the given continuation, each
        recomputed from scratch like the greedy loop."""
        rows = list(self.forward(list(prompt)))
        for k in range(len(generated) - 1):
            rows.append(self.forward(list(prompt) + list(generated[:k + 1]))[-1])
        return np.stack(rows)


def greedy_margins(rows, steps, prompt_len, rtol):
    """The smallest top-1 margin over the greedy steps, relative to 2 * rtol *
    max|row| (> 1: any program within tolerance must choose the same ids)."""
    worst = None
    for k, (best, runner_up, gap) in enumerate(steps):
        row = rows[prompt_len - 1 + k]
        ratio = gap / (2 * rtol * float(np.max(np.abs(row))))
        if worst is None or ratio < worst[0]:
            worst = (ratio, k, best, runner_up, gap)
    return worst


# ---------------------------------------------------------------- comparison

def compare_rows(actual, expected, rtol):
    """Per-row check: finite and max|a-e| <= rtol * max|e|. Returns a list of
    (row, max error, bound, column of the max error, ok)."""
    results = []
    for r in range(expected.shape[0]):
        a, e = actual[r].astype(np.float64), expected[r].astype(np.float64)
        bound = rtol * float(np.max(np.abs(e)))
        if not np.all(np.isfinite(a)):
            col = int(np.argmax(~np.isfinite(a)))
            results.append((r, float("inf"), bound, col, False))
            continue
        diff = np.abs(a - e)
        col = int(np.argmax(diff))
        results.append((r, float(diff[col]), bound, col, float(diff[col]) <= bound))
    return results


def describe_row(r, prompt_len):
    return f"row {r} (prompt position {r})" if r < prompt_len - 1 else \
        f"row {r} (position {r}, predicting generated token {r - prompt_len + 2})"


# ---------------------------------------------------------------- driver

def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="End-to-end test of xfc against onnxruntime (see the module docstring).")
    parser.add_argument("--xfc", help="the xfc executable (path, or a name on PATH)")
    parser.add_argument("--model-script", required=True,
                        help="an example script, e.g. examples/make_gpt2_block.py")
    parser.add_argument("--workdir", required=True, help="where the model and outputs go")
    parser.add_argument("--prompt", default=DEFAULT_PROMPT,
                        help=f"prompt token ids, comma-separated (default {DEFAULT_PROMPT})")
    parser.add_argument("--tokens", type=int, default=DEFAULT_TOKENS,
                        help=f"tokens to generate (default {DEFAULT_TOKENS})")
    parser.add_argument("--rtol", type=float, default=1e-4,
                        help="logits tolerance relative to each row's largest |logit| (default 1e-4)")
    parser.add_argument("--external-data", action="store_true",
                        help="make the model with its weights in model.onnx.data")
    parser.add_argument("--model-args", default="",
                        help="extra arguments for the model script, one string split like a shell "
                             "command line (e.g. --model-args=--with-past)")
    parser.add_argument("--timeout", type=int, default=600,
                        help="seconds allowed to each subprocess (default 600)")
    parser.add_argument("--reference-only", action="store_true",
                        help="run only the onnxruntime greedy loop and print its ids")
    args = parser.parse_args(argv)
    try:
        args.prompt_ids = parse_ids(args.prompt, "--prompt")
    except ValueError as e:
        raise UsageError(str(e))
    if args.tokens < 1:
        raise UsageError(f"--tokens must be at least 1, got {args.tokens}")
    if not args.rtol > 0:
        raise UsageError(f"--rtol must be positive, got {args.rtol}")
    if not os.path.isfile(args.model_script):
        raise UsageError(f"--model-script: no such file: {args.model_script}")
    try:
        args.model_argv = shlex.split(args.model_args)
    except ValueError as e:
        raise UsageError(f"--model-args: {e}")
    if not args.reference_only and not args.xfc:
        raise UsageError("--xfc is required (or --reference-only)")
    return args


def find_xfc(path):
    """The xfc executable, or None."""
    if os.sep in path:
        return os.path.abspath(path) if os.path.isfile(path) and os.access(path, os.X_OK) else None
    return shutil.which(path)


def make_model(args):
    os.makedirs(args.workdir, exist_ok=True)
    model = os.path.join(args.workdir, "model.onnx")
    for stale in (model, model + ".data"):
        if os.path.exists(stale):
            os.remove(stale)
    cmd = [sys.executable, args.model_script, model] + (["--external-data"] if args.external_data else []) \
        + args.model_argv
    _, seconds = run(cmd, args.timeout, "the model script")
    return model, seconds


def run_program(program, prompt, n, timeout, logits=None):
    cmd = [program, "--tokens", csv(prompt), "--max-tokens", str(n)]
    if logits:
        cmd += ["--logits", logits]
    stdout, seconds = run(cmd, timeout, "the compiled program")
    lines = [line for line in stdout.splitlines() if line.strip()]
    if len(lines) != 1:
        raise StepFailed(f"{' '.join(cmd)}: expected one line of ids on stdout, got {len(lines)} "
                         f"lines:\n{stdout[-2000:]}")
    try:
        return parse_ids(lines[0], "the program's stdout"), seconds
    except ValueError as e:
        raise StepFailed(f"{' '.join(cmd)}: {e}")


def report_reference(ref, prompt, generated, rows, steps, rtol, out):
    ratio, k, best, runner_up, gap = greedy_margins(rows, steps, len(prompt), rtol)
    print(f"reference (onnxruntime {ref.version}, full recomputation per step): {csv(generated)}", file=out)
    verdict = "every step is decisive" if ratio > 1 else \
        "WARNING: a near tie; a program within the logits tolerance may choose differently"
    print(f"  smallest top-1 margin: step {k + 1}, id {best} over {runner_up} by {gap:.4g} = "
          f"{ratio:.3g} x (2 * rtol * max|row|): {verdict}", file=out)


def check_program(args, ref, prompt, generated, rows, steps, workdir, model):
    """Compiles and runs the program; returns a list of failure lines."""
    failures = []
    program = os.path.join(workdir, "model")
    logits_path = os.path.join(workdir, "xfc_logits.bin")
    for stale in (program, program + ".xfw", logits_path):
        if os.path.exists(stale):
            os.remove(stale)

    _, seconds = run([args.xfc, model, "-o", program], args.timeout, "xfc")
    missing = [p for p in (program, program + ".xfw") if not os.path.isfile(p)]
    if missing:
        raise StepFailed(f"xfc succeeded but did not write {', '.join(missing)}")
    if not os.access(program, os.X_OK):
        raise StepFailed(f"xfc wrote {program}, but it is not executable")
    print(f"xfc: compiled in {seconds:.1f} s -> {program}, {program}.xfw "
          f"({os.path.getsize(program + '.xfw')} bytes)")

    ids_plain, seconds = run_program(program, prompt, args.tokens, args.timeout)
    print(f"program: {csv(ids_plain)}  ({seconds:.2f} s)")
    ids, seconds = run_program(program, prompt, args.tokens, args.timeout, logits_path)
    print(f"program --logits: {'same ids' if ids == ids_plain else csv(ids)}  ({seconds:.2f} s)")
    if ids != ids_plain:
        failures.append("the program printed different ids with --logits than without")

    # 1. ids
    n_same = next((k for k, (a, e) in enumerate(zip(ids, generated)) if a != e), min(len(ids), len(generated)))
    if ids == generated:
        print(f"ids: PASS, all {len(generated)} identical")
    else:
        failures.append("generated ids differ from onnxruntime's")
        print(f"ids: FAIL, {len(ids)} generated, {len(generated)} expected; "
              f"the first {n_same} agree")
        print(f"  expected: {csv(generated)}\n  actual:   {csv(ids)}")
        if n_same < len(ids) and n_same < len(generated):
            best, runner_up, gap = steps[n_same]
            print(f"  step {n_same + 1}: onnxruntime chose {best} (runner-up {runner_up}, by {gap:.4g}), "
                  f"the program chose {ids[n_same]}")

    # 2. logits
    data = np.fromfile(logits_path, dtype="<f4") if os.path.isfile(logits_path) else None
    n_rows = len(prompt) + len(ids) - 1
    if data is None:
        failures.append(f"the program did not write {logits_path}")
        print(f"logits: FAIL, no file {logits_path}")
        return failures
    if data.size != n_rows * ref.vocab:
        failures.append("the logits file has the wrong size")
        print(f"logits: FAIL, {logits_path} holds {data.size} floats; expected {n_rows} rows x "
              f"{ref.vocab} = {n_rows * ref.vocab} (positions 0..{n_rows - 1})")
        return failures
    actual = data.reshape(n_rows, ref.vocab)
    if ids == generated:
        expected, source = rows, "the greedy loop"
    else:
        # Rows up to the divergence saw the same tokens as the reference's;
        # later ones are checked against onnxruntime on the program's tokens.
        expected, source = ref.rows_for(prompt, ids), "onnxruntime on the program's own tokens"
    results = compare_rows(actual, expected, args.rtol)
    bad = [r for r in results if not r[4]]
    worst = max(results, key=lambda r: r[1] / r[2] if r[2] > 0 else float("inf"))
    r, err, bound, col, _ = worst
    print(f"logits: {'PASS' if not bad else 'FAIL'}, {len(results) - len(bad)}/{len(results)} rows "
          f"within max|a-e| <= {args.rtol:g} * max|e| (expected rows from {source})")
    print(f"  worst: {describe_row(r, len(prompt))}: max|a-e| = {err:.3g} at id {col}, "
          f"bound {bound:.3g} (ratio {err / bound if bound else float('inf'):.3g})")
    for r, err, bound, col, _ in bad[:10]:
        print(f"  {describe_row(r, len(prompt))}: max|a-e| = {err:.3g} at id {col} "
              f"(actual {actual[r, col]:.6g}, expected {expected[r, col]:.6g}), bound {bound:.3g}")
    if len(bad) > 10:
        print(f"  ... and {len(bad) - 10} more rows")
    if bad:
        failures.append(f"{len(bad)} logits rows out of tolerance")
    if ids != generated and n_same < min(len(ids), len(generated)):
        row = len(prompt) - 1 + n_same
        own = int(np.argmax(actual[row]))
        print(f"  at the divergence, {describe_row(row, len(prompt))}: the program's logits are "
              f"{'within' if results[row][4] else 'OUT OF'} tolerance; their argmax is {own}"
              f"{'' if own == ids[n_same] else f', yet the program chose {ids[n_same]}'}")
    return failures


def main(argv=None):
    try:
        args = parse_args(argv)
    except UsageError as e:
        print(f"run_e2e.py: error: {e}", file=sys.stderr)
        return EXIT_USAGE

    if not args.reference_only:
        xfc = find_xfc(args.xfc)
        if xfc is None:
            print(f"SKIP: xfc not found or not executable: {args.xfc}")
            return EXIT_SKIP
        args.xfc = xfc

    out = sys.stderr if args.reference_only else sys.stdout
    prompt = args.prompt_ids
    try:
        model, seconds = make_model(args)
        print(f"model: {' '.join([args.model_script] + args.model_argv)} -> {model} ({seconds:.1f} s)",
              file=out)
        ref = Reference(model)
        if ref.pasts:
            print(f"  KV cache inputs: {len(ref.pasts)} past_key_values.*, fed empty to onnxruntime",
                  file=out)
        if any(not 0 <= t < ref.vocab for t in prompt):
            print(f"run_e2e.py: error: --prompt ids must lie in [0, {ref.vocab})", file=sys.stderr)
            return EXIT_USAGE
        print(f"prompt: {csv(prompt)} ({len(prompt)} token{'s' if len(prompt) > 1 else ''}), "
              f"{args.tokens} new tokens, "
              f"vocab {ref.vocab}", file=out)
        start = time.monotonic()
        generated, rows, steps = ref.greedy(prompt, args.tokens)
        seconds = time.monotonic() - start
        with open(os.path.join(args.workdir, "reference.ids"), "w") as f:
            f.write(csv(generated) + "\n")
        rows.astype("<f4").tofile(os.path.join(args.workdir, "reference_logits.bin"))
        report_reference(ref, prompt, generated, rows, steps, args.rtol, out)
        print(f"  ({seconds:.2f} s)", file=out)
        if args.reference_only:
            print(csv(generated))
            return EXIT_PASS
        failures = check_program(args, ref, prompt, generated, rows, steps, args.workdir, model)
    except StepFailed as e:
        print(f"FAIL: {e}", file=out)
        return EXIT_FAIL

    if failures:
        print("FAIL: " + "; ".join(failures))
        return EXIT_FAIL
    print("PASS")
    return EXIT_PASS


if __name__ == "__main__":
    sys.exit(main())
