#!/usr/bin/env python3
"""xfc --calibration (GPTQ), checked against independent computations.

On the Llama example with the byte-level tokenizer of quality_report.py
(token id = byte) and a calibration text disjoint from the evaluation text:

1. Statistics: a program compiled with --expose-linear-input-grams, run as
   `PROGRAM calibrate`, prints per Gram matrix the weights it is for, its
   trace and Frobenius norm. numpy computes E[x x^T] of the same layer
   inputs from onnxruntime (the MatMul inputs made graph outputs) over the
   same chunks: equal to 1e-4 relative (float32 sums over 256 tokens and
   two engines' rounding; a wrong layer or a missed token is far off). Every
   linear weight of the model is covered exactly once.
2. Quality: int4 (g32, the default f32 zero points; LM head and table
   int8) and int4 symmetric in groups of 64 with the head and table kept
   f32 (so only the int4 layers differ), each built by rounding to nearest
   and with --calibration.
   Both builds of a kind have .xfw files of the same size (GPTQ changes
   codes, not the format). On the evaluation text, numpy's mean
   KL(fp32 || quantized) from the programs' --logits is lower with GPTQ
   (the random weights here are not on any grid, so GPTQ must win).
3. The report: --calibration with --eval-text ranks layers by
   rel_output_error, each at most its rel_output_error_rtn (each row keeps
   the packing of lower error); no scratch folder is left.
4. Errors: --calibration without --quantize exits 2; a calibration text
   shorter than one chunk exits 1 naming the file, and writes nothing.
5. Interrupted (SIGINT to its process group) while the calibration and the
   report's scratch folders both exist, xfc exits 130 and leaves neither.

    python3 test/e2e/gptq_calibration.py --xfc build/bin/xfc \\
        --model-script examples/make_llama_block.py --workdir /tmp/gptq
"""
import argparse
import glob
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quality_report import byte_level_tokenizer, log_softmax, program_logits  # noqa: E402

CTX, CHUNKS = 64, 4


def text(seed, words):
    lines, state = [], seed
    for _ in range(40):
        line = []
        for _ in range(12):
            state = (state * 1103515245 + 12345) % 2**31
            line.append(words[state % len(words)])
        lines.append(" ".join(line).capitalize() + ".")
    return "\n".join(lines) + "\n"


EVAL_WORDS = ("the of quantized weights keep a model small while its answers stay close "
              "to those of the full precision model when the groups are small").split()
CALIBRATION_WORDS = ("a compiler reads the graph and writes a program that runs the layers "
                     "on every core with packed weights and fused attention").split()


def chunks_of(data):
    return [list(data[c * CTX:(c + 1) * CTX]) for c in range(CHUNKS)]


def reference_grams(model_path, chunks):
    """E[x x^T] of each MatMul-by-initializer input, by onnxruntime."""
    model = onnx.load(model_path)
    initializers = {i.name for i in model.graph.initializer}
    inputs_of = {}  # weight -> activation name
    for node in model.graph.node:
        if node.op_type == "MatMul" and node.input[1] in initializers:
            inputs_of[node.input[1]] = node.input[0]
    existing = {o.name for o in model.graph.output}
    for name in sorted(set(inputs_of.values()) - existing):
        model.graph.output.append(onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None))
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    sums, tokens = {}, 0
    for chunk in chunks:
        ids = np.array([chunk], dtype=np.int64)
        feed = {}
        for i in session.get_inputs():
            if i.name == "input_ids":
                feed[i.name] = ids
            elif i.name == "attention_mask":
                feed[i.name] = np.ones_like(ids)
            elif i.name == "position_ids":
                feed[i.name] = np.arange(len(chunk), dtype=np.int64)[None]
            else:  # an optimum export's past: empty
                shape = [1, i.shape[1], 0, i.shape[3]]
                feed[i.name] = np.zeros(shape, dtype=np.float32)
        outs = dict(zip(names, session.run(None, feed)))
        for activation in set(inputs_of.values()):
            x = outs[activation].reshape(-1, outs[activation].shape[-1]).astype(np.float64)
            sums[activation] = sums.get(activation, 0) + x.T @ x
        tokens += len(chunk)
    return inputs_of, {a: s / tokens for a, s in sums.items()}, tokens


def mean_kl(fp32_rows, rows):
    total, count = 0.0, 0
    for p, q in zip(fp32_rows, rows):
        lp, lq = log_softmax(p[:-1]), log_softmax(q[:-1])
        total += (np.exp(lp) * (lp - lq)).sum()
        count += len(lp)
    return total / count


def run(command, **kwargs):
    print("$", " ".join(command), flush=True)
    return subprocess.run(command, **kwargs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--model-script", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    for old in glob.glob(os.path.join(args.workdir, "*")):
        if os.path.isfile(old):
            os.remove(old)
    work = lambda name: os.path.join(args.workdir, name)  # noqa: E731
    model = work("model.onnx")
    subprocess.run([sys.executable, args.model_script, model], check=True,
                   stdout=subprocess.DEVNULL)
    byte_level_tokenizer(work("tokenizer.json"))
    eval_text, calibration_text = text(12345, EVAL_WORDS), text(777, CALIBRATION_WORDS)
    with open(work("eval.txt"), "w") as f:
        f.write(eval_text)
    with open(work("calibration.txt"), "w") as f:
        f.write(calibration_text)
    calibration = ["--calibration", work("calibration.txt"), "--calibration-ctx", str(CTX),
                   "--calibration-chunks", str(CHUNKS)]

    # 1. The statistics against onnxruntime.
    run([args.xfc, model, "-o", work("calib"), "--expose-linear-input-grams"], check=True,
        stderr=subprocess.DEVNULL)
    printed = run([work("calib"), "calibrate", "--file", work("calibration.txt"), "--ctx", str(CTX),
                   "--chunks", str(CHUNKS), "--out", work("statistics.xfw")],
                  check=True, capture_output=True, text=True).stdout
    lines = [json.loads(line) for line in printed.splitlines()]
    inputs_of, grams, tokens = reference_grams(model, chunks_of(calibration_text.encode()))
    covered = sorted(w for line in lines for w in line["weights"])
    if covered != sorted(inputs_of):
        raise SystemExit(f"FAIL the Gram matrices cover {covered}, the model's weights are "
                         f"{sorted(inputs_of)}")
    worst = 0.0
    for line in lines:
        activations = {inputs_of[w] for w in line["weights"]}
        if len(activations) != 1:
            raise SystemExit(f"FAIL {line['name']} is for weights with different inputs")
        gram = grams[activations.pop()]
        if line["k"] != gram.shape[0] or line["tokens"] != tokens:
            raise SystemExit(f"FAIL {line['name']}: k {line['k']}, tokens {line['tokens']}; "
                             f"expected {gram.shape[0]}, {tokens}")
        for key, want in (("trace", np.trace(gram)), ("frobenius", np.linalg.norm(gram))):
            error = abs(line[key] - want) / want
            worst = max(worst, error)
            if error > 1e-4:
                raise SystemExit(f"FAIL {line['name']} {key}: {line[key]} vs numpy {want}")
    print(f"1. {len(lines)} Gram matrices over {tokens} tokens = onnxruntime + numpy "
          f"(worst relative difference {worst:.2e})")

    # 2. GPTQ against rounding to nearest, by numpy's KL on the eval text.
    eval_chunks = chunks_of(eval_text.encode())
    run([args.xfc, model, "-o", work("fp32")], check=True, stderr=subprocess.DEVNULL)
    fp32_rows = program_logits(work("fp32"), eval_chunks)
    for kind, flags in (("int4", ["--quantize=int4"]),
                        ("int4-sym-g64-layers", ["--quantize=int4", "--symmetric", "--group-size", "64",
                                                 "--keep-fp32=lm_head,embeddings"])):
        rtn, gptq = work(kind + "-rtn"), work(kind + "-gptq")
        run([args.xfc, model, "-o", rtn] + flags, check=True, stderr=subprocess.DEVNULL)
        built = run([args.xfc, model, "-o", gptq] + flags + calibration, check=True,
                    capture_output=True, text=True)
        if "GPTQ on" not in built.stderr:
            raise SystemExit(f"FAIL no GPTQ summary in xfc's output:\n{built.stderr}")
        if os.path.getsize(rtn + ".xfw") != os.path.getsize(gptq + ".xfw"):
            raise SystemExit(f"FAIL {kind}: .xfw sizes differ")
        kl_rtn = mean_kl(fp32_rows, program_logits(rtn, eval_chunks))
        kl_gptq = mean_kl(fp32_rows, program_logits(gptq, eval_chunks))
        print(f"2. {kind}: mean KL from fp32 on the eval text: rounding to nearest {kl_rtn:.4e}, "
              f"GPTQ {kl_gptq:.4e} ({kl_gptq / kl_rtn:.2f}x)")
        if not kl_gptq < kl_rtn:
            raise SystemExit(f"FAIL {kind}: GPTQ is not closer to fp32 than rounding to nearest")
        if glob.glob(gptq + ".calibration-*"):
            raise SystemExit(f"FAIL {kind}: a calibration scratch folder was left behind")

    # 3. The report ranks by the calibration output error.
    out = work("reported")
    run([args.xfc, model, "-o", out, "--quantize=int4", "--eval-text", work("eval.txt"),
         "--eval-ctx", str(CTX), "--eval-chunks", str(CHUNKS)] + calibration, check=True)
    layers = json.load(open(out + ".quality.json"))["layers"]
    ranked = layers["ranked"]
    errors = [layer["rel_output_error"] for layer in ranked]
    if "calibration" not in layers["measure"] or errors != sorted(errors, reverse=True) or \
            any(l["rel_output_error"] > l["rel_output_error_rtn"] for l in ranked) or \
            not any(l["gptq"] for l in ranked) or \
            any(l["gptq"] != (l["gptq_rows"] > 0) for l in ranked):
        raise SystemExit(f"FAIL ranked layers: {layers}")
    if glob.glob(out + ".quality-*") or glob.glob(out + ".calibration-*"):
        raise SystemExit("FAIL scratch folders left behind")
    print(f"3. report ranks {len(ranked)} layers by calibration output error; GPTQ kept on "
          f"{sum(l['gptq'] for l in ranked)}")

    # 4. Errors.
    bad = run([args.xfc, model, "-o", work("bad"), "--calibration", work("calibration.txt")],
              capture_output=True, text=True)
    if bad.returncode != 2 or "--calibration needs --quantize" not in bad.stderr:
        raise SystemExit(f"FAIL --calibration without --quantize: {bad.returncode} {bad.stderr}")
    with open(work("short.txt"), "w") as f:
        f.write("too short\n")
    bad = run([args.xfc, model, "-o", work("bad"), "--quantize=int8", "--calibration",
               work("short.txt")], capture_output=True, text=True)
    if bad.returncode != 1 or "short.txt" not in bad.stderr or \
            glob.glob(work("bad*")):
        raise SystemExit(f"FAIL short calibration text: {bad.returncode} {bad.stderr} "
                         f"{glob.glob(work('bad*'))}")
    print("4. errors: exit 2 without --quantize; exit 1 naming a short text, nothing written")

    # 5. Ctrl-C (SIGINT to the process group, as a terminal sends it) while
    # both scratch folders exist: exit 130, nothing left behind.
    out = work("interrupted")
    command = [args.xfc, model, "-o", out, "--quantize=int4", "--eval-text", work("eval.txt"),
               "--eval-ctx", str(CTX), "--eval-chunks", str(CHUNKS)] + calibration
    print("$", " ".join(command), "  # interrupted", flush=True)
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not glob.glob(out + ".quality-*") and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    if process.poll() is not None or not glob.glob(out + ".calibration-*"):
        raise SystemExit(f"FAIL the interrupt test never saw both scratch folders "
                         f"(exit {process.poll()})")
    os.killpg(process.pid, signal.SIGINT)
    status = process.wait(timeout=60)
    left = glob.glob(out + "*")
    if status != 130 or left:
        raise SystemExit(f"FAIL interrupted xfc: exit {status}, left {left}")
    print("5. interrupted: exit 130, scratch folders removed")
    print("PASS")


if __name__ == "__main__":
    main()
