#!/usr/bin/env python3
"""Compiles every model of the export corpus with xfc and checks it against
onnxruntime on the same file.

    check_corpus.py --xfc build/bin/xfc --workdir build/test/corpus \\
        [--only NAME,...] [--table docs/corpus.md] [--json FILE] \\
        [--manifest build/corpus-real/manifest.json]

For each export in test/corpus/manifest.json (those the generator made):

1. `xfc model.onnx -o PROG`: compile time, how many attention layers fused
   (the progress line), whether the KV cache was paged (and why not);
2. the program's prompt logits (`--logits`) against onnxruntime's on the
   same prompt (MatMulNBits with accuracy_level 0, see reference_model): every row within 1e-4 of that row's largest |logit|
   (float32 arithmetic in a different order: the differences seen are
   ~1e-6 of the row scale; 1e-4 leaves room without hiding a wrong mask,
   which moves logits by 1e-2 and more);
3. 32 greedy ids equal to onnxruntime's (recomputed over the whole
   sequence at every step, so the reference needs no cache plumbing), and
   identical on a second run of the program;
4. the same model compiled with every fusion off (`--no-fuse=...`): ids
   equal to the fused program's, logits within the same tolerance
   (fused vs unfused vs onnxruntime).

A model xfc refuses at compile time is reported as refused, with the first
error line; that is a pass for this script only when the manifest marks the
export `"expect": "refused"`. Exit status: 0 all pass, 1 a failure, 77 (a
skip) when onnxruntime is missing.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# test/e2e/sixteen_bit_vs_ort.py's convert_model widens 16-bit models.
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
TOLERANCE = 1e-4
# Decode logits of a model whose MatMulNBits allow int8 activations, on the
# tiny random models: 4e-2 to 8e-2 of the row scale seen.
ROUNDED_TOLERANCE = 2e-1
# Prompt logits of a 16-bit export against onnxruntime on the 16-bit file
# itself, which rounds activations to 16 bits between ops where xfc keeps
# f32: float16 keeps 11 bits (a relative step of 4.9e-4 per rounding),
# bfloat16 8 bits (3.9e-3), and a block rounds its activations dozens of
# times. Measured on the tiny corpus: see docs/corpus.md.
OWN_16BIT_TOLERANCE = {"float16": 3e-2, "bfloat16": 1e-1}
GENERATE = 32
ALL_FAMILIES = "all"


def rounds_activations(path):
    """Whether the model lets a backend round matmul activations to int8:
    com.microsoft MatMulNBits with accuracy_level 4 (what the GenAI builder
    writes for the CPU). The program's decode step does that (as llama.cpp's
    Q8 activations do); its prefill does not."""
    import onnx
    model = onnx.load(path, load_external_data=False)
    return any(n.op_type == "MatMulNBits" and any(a.name == "accuracy_level" and a.i >= 4
                                                  for a in n.attribute)
               for n in model.graph.node)


def sixteen_bit(model):
    """"bfloat16" or "float16" when `model` (an onnx.ModelProto) keeps floats
    in 16 bits (16-bit initializers, or Casts to them: optimum
    `dtype="fp16"`, the GenAI builder's `-p fp16|bf16`), else None."""
    import onnx
    found = {t.data_type for t in model.graph.initializer}
    found |= {a.i for n in model.graph.node if n.op_type == "Cast"
              for a in n.attribute if a.name == "to"}
    if onnx.TensorProto.BFLOAT16 in found:
        return "bfloat16"
    return "float16" if onnx.TensorProto.FLOAT16 in found else None


def reference_model(path, workdir):
    """The model onnxruntime is run on: `path` itself, except that

    - com.microsoft MatMulNBits nodes get accuracy_level 0. The GenAI builder
      writes accuracy_level 4, which lets onnxruntime's CPU kernel round the
      activations to int8 (an arithmetic shortcut of the backend, not part of
      the model's meaning); xfc computes the exact product of the dequantized
      weights, which is what accuracy_level 0 makes onnxruntime compute.
    - a 16-bit model is widened to its fp32 upcast (every float16/bfloat16
      initializer, input, output, constant and Cast target as float32; the
      weights widen exactly). xfc computes a 16-bit graph in f32 with its
      weights widened as they are read, so the upcast is the same function
      and the fp32 bound applies; onnxruntime on the 16-bit file itself
      rounds activations to 16 bits between ops (check_export compares with
      that too, at a looser bound).

    Returns (path of the reference model, the 16-bit format it was widened
    from or None)."""
    import onnx
    model = onnx.load(path)
    changed = False
    for node in model.graph.node:
        if node.op_type == "MatMulNBits" and node.domain == "com.microsoft":
            for attr in node.attribute:
                if attr.name == "accuracy_level" and attr.i != 0:
                    attr.i = 0
                    changed = True
    widened = sixteen_bit(model)
    if widened:
        from sixteen_bit_vs_ort import convert_model
        model = convert_model(model, onnx.TensorProto.FLOAT)
        changed = True
    if not changed:
        return path, False
    out = os.path.join(workdir, "reference.onnx")
    onnx.save(model, out)
    return out, widened


def export_prompt(model, text):
    """`text` in ids of the tokenizer.json next to `model`."""
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(os.path.join(os.path.dirname(model), "tokenizer.json"))
    return tokenizer.encode(text).ids


LONG_PROMPT_TEXT = "/usr/share/common-licenses/GPL-3"


def long_prompt(model, count):
    """The first `count` tokens of a long English text (the GPL's, which
    every Debian machine has), in the ids of the export's tokenizer.json, so
    that a sliding window of fewer tokens matters."""
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(os.path.join(os.path.dirname(model), "tokenizer.json"))
    with open(LONG_PROMPT_TEXT, encoding="utf-8") as fh:
        ids = tokenizer.encode(fh.read()).ids
    if len(ids) < count:
        raise RuntimeError(f"{LONG_PROMPT_TEXT} has only {len(ids)} tokens")
    return ids[:count]


def ort_session(path):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.intra_op_num_threads = 2
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def ort_logits(sess, config, ids):
    """Logits [len(ids), vocab] of the whole sequence, with an empty past."""
    import numpy as np
    n = len(ids)
    feed = {}
    for inp in sess.get_inputs():
        name = inp.name
        if name == "input_ids":
            feed[name] = np.array([ids], np.int64)
        elif name == "attention_mask":
            feed[name] = np.ones((1, n), np.int64)
        elif name in ("position_ids", "cache_position"):
            pos = np.arange(n, dtype=np.int64)
            feed[name] = pos[None] if len(inp.shape) == 2 else pos
        elif name.startswith("past_key_values.") or name.startswith("past_"):
            heads = inp.shape[1] if isinstance(inp.shape[1], int) else config["kv_heads"]
            dim = inp.shape[3] if isinstance(inp.shape[3], int) else config["head_dim"]
            dtype = np.float16 if "float16" in inp.type else np.float32
            feed[name] = np.zeros((1, heads, 0, dim), dtype)
        else:
            raise RuntimeError(f"onnxruntime reference: unknown input {name}")
    out = sess.run(None, feed)
    names = [o.name for o in sess.get_outputs()]
    logits = out[names.index("logits")] if "logits" in names else out[0]
    return logits[0].astype(np.float64)


def ort_greedy(sess, config, prompt, count):
    import numpy as np
    ids = list(prompt)
    prompt_logits = None
    for _ in range(count):
        logits = ort_logits(sess, config, ids)
        if prompt_logits is None:
            prompt_logits = logits
        ids.append(int(np.argmax(logits[-1])))
    return ids[len(prompt):], prompt_logits


def compile_model(xfc, model, out, extra=()):
    start = time.perf_counter()
    result = subprocess.run([xfc, model, "-o", out, *extra], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    log = result.stderr
    fused = re.search(r"fused (\d+) attention layer", log)
    info = {
        "rc": result.returncode,
        "seconds": round(seconds, 2),
        "fused": int(fused.group(1)) if fused else None,
        "paged": "paged KV cache: blocks" in log,
        "log": log,
    }
    if "the KV cache is not paged, because:" in log:
        reason = log.split("the KV cache is not paged, because:", 1)[1].strip().splitlines()
        info["not_paged"] = re.sub(r"^loc\([^)]*\)\)?:\s*", "", reason[0].strip()) if reason else ""
    if result.returncode != 0:
        errors = [line for line in log.splitlines() if "error" in line]
        info["error"] = errors[0] if errors else log.strip().splitlines()[-1:]
    return info


def run_program(program, prompt, logits_path):
    import numpy as np
    result = subprocess.run(
        [program, "--tokens", ",".join(map(str, prompt)), "--max-tokens", str(GENERATE),
         "--logits", logits_path], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise RuntimeError(f"{program} exited {result.returncode}: {result.stderr.strip()[-500:]}")
    ids = [int(t) for t in result.stdout.strip().split(",") if t.strip()]
    logits = np.fromfile(logits_path, dtype=np.float32).astype(np.float64)
    return ids, logits


def has_kv_window(weights):
    """Whether xfc recorded that every layer attends within a window."""
    import mmap
    with open(weights, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
        return m.find(b"xf.kv_window") >= 0


def check_window_release(program, prompt, ids, work, exact=True):
    """Every layer sliding: the runtime releases blocks behind the window.
    Four sequences decode together past it twice, with a KV budget of 64 MiB
    and then one of just the blocks the first run held at its peak; both
    must generate the same ids, and (`exact`) what the program generates for
    each prompt alone; the peak must be below what the sequences would hold
    without releasing. A model whose decode rounds activations to int8 is
    not batch-invariant (a batch of rows takes the f32 path), so only the
    two batched runs are compared for it."""
    prompts = [list(prompt)] + [list(prompt[i:]) + list(prompt[:i]) for i in (1, 2, 3)]
    path = os.path.join(work, "window-prompts.txt")
    with open(path, "w") as fh:
        fh.writelines(",".join(map(str, p)) + "\n" for p in prompts)

    def batch(budget):
        result = subprocess.run(
            [program, "--tokens-file", path, "--max-tokens", str(GENERATE),
             "--kv-memory", str(budget)], capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            raise RuntimeError(f"--tokens-file exited {result.returncode}: {result.stderr.strip()[-300:]}")
        stats = re.search(r"peak (\d+) of (\d+) blocks .*?(\d+) tokens per block.*?(\d+) preemptions",
                          result.stderr)
        if not stats:
            raise RuntimeError("--tokens-file printed no KV-cache use")
        outs = [[int(t) for t in line.split(",") if t.strip()] for line in result.stdout.split("\n") if line.strip()]
        return outs, [int(g) for g in stats.groups()]

    problems = []
    budget = 64 << 20
    wide, (peak, blocks, block_tokens, _) = batch(budget)
    held = len(prompts) * -(-(len(prompt) + GENERATE) // block_tokens)
    if peak >= held:
        problems.append(f"sliding window: {peak} KV blocks at the peak, not fewer than the "
                        f"{held} the sequences span (no block released)")
    tight, (_, tight_blocks, _, preempted) = batch(-(-budget // blocks) * peak)
    alone = wide
    if exact:
        alone = [ids] + [run_program(program, p, os.path.join(work, "window.bin"))[0]
                         for p in prompts[1:]]
    if wide != alone or tight != alone:
        problems.append("sliding window: sequences decoded together (released blocks reused by "
                        f"others; {tight_blocks} blocks, {preempted} preemptions) generated other "
                        "ids than each alone")
    return problems


def row_error(a, b):
    """Largest |a - b| of each row relative to the row's largest |b|."""
    import numpy as np
    scale = np.maximum(np.abs(b).max(axis=1), 1e-30)
    return float((np.abs(a - b).max(axis=1) / scale).max())


def check_own_16bit(model, kind, config, prompt, logits, row):
    """A 16-bit export's prompt logits against onnxruntime on the 16-bit
    file itself (the primary check is against its fp32 upcast). onnxruntime's
    CPU provider has no bfloat16 Mul/MatMul: where it has no kernel for a
    bfloat16 file, the reason is recorded and the upcast check stands alone;
    any other failure to load the file is a failure."""
    row["own_16bit_format"] = kind
    try:
        sess = ort_session(model)
    except Exception as e:  # noqa: BLE001 - judged below
        if kind != "bfloat16" or "NOT_IMPLEMENTED" not in str(e):
            raise
        row["own_16bit_unavailable"] = str(e).splitlines()[0][:200]
        return []
    err = row_error(logits, ort_logits(sess, config, prompt))
    row["own_16bit_error"] = err
    bound = OWN_16BIT_TOLERANCE[kind]
    if not err <= bound:
        return [f"prompt logits differ from onnxruntime on the {kind} file by {err:.2e} "
                f"of the row scale (bound {bound:g})"]
    return []


def check_export(export, args, config):
    import numpy as np
    name = export["name"]
    model = os.path.join(args.base, export["path"])
    work = os.path.join(args.workdir, name)
    os.makedirs(work, exist_ok=True)
    row = {"name": name, "architecture": export["architecture"], "exporter": export["exporter"]}
    program = os.path.join(work, "prog")
    info = compile_model(args.xfc, model, program)
    row.update({k: info.get(k) for k in ("seconds", "fused", "paged", "not_paged")})
    layers = config["layers"]
    if info["rc"] != 0:
        row["status"] = "refused"
        row["reason"] = info["error"] if isinstance(info["error"], str) else " ".join(info["error"])
        row["pass"] = export.get("expect") == "refused"
        return row
    prompt = args.prompt or export_prompt(model, args.prompt_text)
    if args.long_prompt:
        prompt = long_prompt(model, args.long_prompt)
    vocab = config["vocab"]
    problems = []
    try:
        reference, widened = reference_model(model, work)
        sess = ort_session(reference)
        ref_ids, ref_logits = ort_greedy(sess, config, prompt, GENERATE)
        ids, all_logits = run_program(program, prompt, os.path.join(work, "logits.bin"))
        all_logits = all_logits.reshape(-1, vocab)
        logits = all_logits[:len(prompt)]
        err = row_error(logits, ref_logits)
        row["logit_error"] = err
        if not err <= TOLERANCE:  # a NaN fails too
            problems.append(f"prompt logits differ from onnxruntime by {err:.2e} of the row scale")
        if widened:
            problems += check_own_16bit(model, widened, config, prompt, logits, row)
        if rounds_activations(model):
            # Decode rounds activations to int8 (accuracy_level 4 allows it;
            # the kernel's rounding is unit-tested against a reference), so
            # ids may part from the exact ones at a near tie. The program's
            # own generated sequence is then run as one prompt (the exact
            # path, every weight and op of decode but the rounding) against
            # onnxruntime; the decode rows only have to stay near the exact
            # ones (a bound that catches garbage, not the rounding).
            row["rounded_decode"] = True
            sequence = list(prompt) + ids[:-1]
            exact = ort_logits(sess, config, sequence)
            _, replay = run_program(program, sequence, os.path.join(work, "replay.bin"))
            replay = replay.reshape(-1, vocab)[:len(sequence)]
            rerr = row_error(replay, exact)
            row["replay_error"] = rerr
            if not rerr <= TOLERANCE:
                problems.append(f"the generated sequence's logits, as a prompt, differ from "
                                f"onnxruntime by {rerr:.2e} of the row scale")
            decoded = all_logits[len(prompt):len(sequence)]
            derr = row_error(decoded, exact[len(prompt):]) if len(decoded) else 0.0
            row["decode_error"] = derr
            if not derr <= ROUNDED_TOLERANCE:
                problems.append(f"decode logits (int8 activations) differ from the exact ones "
                                f"by {derr:.2e} of the row scale")
            row["ids_equal"] = ids[:1] == ref_ids[:1]
            if not row["ids_equal"]:
                problems.append("the first greedy id differs from onnxruntime")
        else:
            row["ids_equal"] = ids == ref_ids
            if ids != ref_ids:
                first = next((i for i, (a, b) in enumerate(zip(ids, ref_ids)) if a != b), len(ids))
                problems.append(f"greedy ids differ from onnxruntime from token {first}")
        again, _ = run_program(program, prompt, os.path.join(work, "logits2.bin"))
        if again != ids:
            problems.append("a second run generated other ids")
        if has_kv_window(program + ".xfw"):
            row["window_release"] = True
            problems += check_window_release(program, prompt, ids, work,
                                             exact=not rounds_activations(model))
        if not args.skip_unfused:
            unfused = os.path.join(work, "prog-unfused")
            uinfo = compile_model(args.xfc, model, unfused, [f"--no-fuse={ALL_FAMILIES}"])
            if uinfo["rc"] != 0:
                problems.append(f"--no-fuse={ALL_FAMILIES} does not compile: {uinfo.get('error')}")
            else:
                uids, ulogits = run_program(unfused, prompt, os.path.join(work, "logits-unfused.bin"))
                ulogits = ulogits.reshape(-1, vocab)[:len(prompt)]
                uerr = row_error(logits, ulogits)
                row["unfused_error"] = uerr
                if not uerr <= TOLERANCE or uids != ids:
                    problems.append(f"fused and unfused programs differ (logits {uerr:.2e}, "
                                    f"ids {'equal' if uids == ids else 'differ'})")
    except Exception as e:  # noqa: BLE001 - reported per model
        problems.append(str(e))
    if info["fused"] != layers:
        problems.append(f"{info['fused']} of {layers} attention layers fused")
    if not info["paged"]:
        problems.append("KV cache not paged" + (f": {info.get('not_paged')}" if info.get("not_paged") else ""))
    row["status"] = "ok" if not problems else "mismatch" if any(
        "differ" in p or "run" in p for p in problems) else "partial"
    row["problems"] = problems
    # Strict: every layer fused, the cache paged, every check matching. A
    # construct xfc does not support yet must be a compile-time refusal
    # (expected as such in the manifest), never a partial program.
    row["pass"] = not problems
    return row


def cpu_name():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "an unnamed CPU"


def write_table(rows, path, manifest):
    lines = [
        "# Export corpus coverage",
        "",
        "Made by `scripts/corpus-table.sh` (which runs `test/corpus/check_corpus.py --table",
        "docs/corpus.md`; the ctest `corpus` runs the same checks) on " + cpu_name() + ", over the",
        "exports in test/corpus/manifest.json: tiny random-weight Hugging Face models",
        "exported by " + ", ".join(f"{k} {v}" for k, v in manifest["versions"].items()
                                     if k in ("optimum-onnx", "torch", "transformers", "onnxruntime-genai")) + ".",
        "Each is compiled with xfc and run on " + (
            f"a {len(manifest['prompt_ids'])}-token prompt:" if manifest.get("prompt_ids")
            else f"the prompt \"{manifest.get('prompt_text')}\":"),
        f"prompt logits against onnxruntime (largest difference relative to the row's",
        f"largest logit; bound {TOLERANCE:g}), {GENERATE} greedy ids against onnxruntime, and the",
        "same model compiled with every fusion off. A 16-bit export is compared with",
        "onnxruntime on its fp32 upcast (the same function: xfc computes in f32 over",
        "16-bit weights), and, in the notes, with onnxruntime on the 16-bit file itself",
        "(which rounds activations to 16 bits; bound " + ", ".join(
            f"{k} {v:g}" for k, v in OWN_16BIT_TOLERANCE.items()) + ").",
        "",
        "| model | exporter | compiles | attention fused | paged | logits vs ORT | ids = ORT | fused = unfused | compile s | notes |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        compiles = "yes" if r["status"] != "refused" else "refused"
        fused = f"{r['fused']}/{r['layers']}" if r.get("fused") is not None else "-"
        paged = "yes" if r.get("paged") else "no"
        err = f"{r['logit_error']:.1e}" if "logit_error" in r else "-"
        ids = {True: "yes", False: "**no**"}.get(r.get("ids_equal"), "-")
        unf = f"{r['unfused_error']:.1e}" if "unfused_error" in r else "-"
        notes = r.get("reason") or "; ".join(p for p in r.get("problems", [])
                                              if "paged" in p or "fused" in p)
        if "own_16bit_error" in r:
            notes = "; ".join(filter(None, [notes, f"vs ORT on the {r['own_16bit_format']} file: "
                                                   f"{r['own_16bit_error']:.1e}"]))
        elif "own_16bit_unavailable" in r:
            notes = "; ".join(filter(None, [notes, f"ORT cannot run the {r['own_16bit_format']} "
                                                   "file (no CPU kernel): upcast only"]))
        notes = notes.replace("|", "\\|")
        lines.append(f"| {r['architecture']} | {r['exporter']} | {compiles} | {fused} | {paged} | "
                     f"{err} | {ids} | {unf} | {r.get('seconds', '-')} | {notes} |")
    lines.append("")
    with open(path, "w") as fh:
        fh.write("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--only", help="comma-separated export names")
    parser.add_argument("--table", help="write the coverage table (markdown) here")
    parser.add_argument("--json", help="write the results as JSON here")
    parser.add_argument("--manifest", default=os.path.join(HERE, "manifest.json"),
                        help="the corpus to check: test/corpus/manifest.json, or the one "
                             "make_corpus.py --real writes next to the real exports")
    parser.add_argument("--long-prompt", type=int, metavar="N",
                        help="instead of the manifest's prompt, the first N tokens of "
                             + LONG_PROMPT_TEXT + " (real exports; N above a sliding "
                             "window makes the window matter)")
    parser.add_argument("--skip-unfused", action="store_true",
                        help="skip the --no-fuse differential (faster)")
    args = parser.parse_args()
    try:
        import numpy  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as e:
        print(f"SKIPPED: {e} (scripts/setup.sh installs it)")
        return 77
    with open(args.manifest) as fh:
        manifest = json.load(fh)
    args.base = os.path.dirname(os.path.abspath(args.manifest))
    # The tiny models share one prompt of ids; the real ones (--real) one
    # sentence, tokenized by each export's own tokenizer.json.
    args.prompt = manifest.get("prompt_ids")
    args.prompt_text = manifest.get("prompt_text")
    configs = {m["name"]: m["config"] for m in manifest["models"]}
    only = set(args.only.split(",")) if args.only else None
    rows = []
    for export in manifest["exports"]:
        if only and export["name"] not in only:
            continue
        if export.get("status", "ok") != "ok":
            continue
        config = configs[export["model"]]
        row = check_export(export, args, config)
        row["layers"] = config["layers"]
        rows.append(row)
        verdict = "PASS" if row["pass"] else "FAIL"
        detail = row.get("reason") or "; ".join(row.get("problems", [])) or "all checks"
        print(f"{verdict} {export['name']}: {detail}", flush=True)
    if args.table:
        write_table(rows, args.table, manifest)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    failed = [r["name"] for r in rows if not r["pass"]]
    print(f"{len(rows) - len(failed)} of {len(rows)} exports pass; "
          f"{sum(1 for r in rows if r['status'] == 'ok')} compile fused, paged and matching")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
