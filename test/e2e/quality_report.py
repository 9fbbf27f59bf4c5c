#!/usr/bin/env python3
"""xfc's quantization quality report (`--eval-text`, `--min-quality`,
`--quality-fallback`), checked against an independent computation.

On the Llama example with a 256-token byte-level tokenizer written next to
it (token id = byte, so the chunks are known without the program):

1. `xfc --quantize=int4 --eval-text TEXT`: OUT, OUT.xfw and
   OUT.quality.json exist, the scratch folder is gone, and the report's
   perplexities, mean and max KL(fp32 || int4) and top-1 agreement equal
   numpy's over the logits of an fp32 program and of OUT itself, each run
   with `--tokens CHUNK --max-tokens 1 --logits FILE` (the generate path,
   not the `logits` subcommand the report uses), to 1e-6 relative. The
   ranked layers are the 15 linear layers, int4 but the LM head (int8),
   in decreasing order of rel_rms_error.
2. An impossible bound (`--min-quality=kl:0,top1:100%`): exit status 3, a
   message naming the missed bound, OUT.quality.json with passed = false,
   and no OUT, OUT.xfw (not even a stale one from before) or scratch left.
3. Fallback: a KL bound halfway between the int4 build's and an all-int8
   build's (measured by numpy as in 1): exit 0 after more than one attempt;
   the layers kept at int8 are the top of the proxy ranking; the final
   metrics equal numpy's on the program left at OUT.

    python3 test/e2e/quality_report.py --xfc build/bin/xfc \\
        --model-script examples/make_llama_block.py --workdir /tmp/quality
"""
import argparse
import glob
import json
import os
import subprocess
import sys

import numpy as np

CTX, CHUNKS = 64, 4


def byte_level_tokenizer(path):
    """tokenizer.json: byte-level BPE with the 256 byte tokens and no merges."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    vocab = {chr(c): b for b, c in zip(bs, cs)}
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                  "use_regex": True}
    tj = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
          "normalizer": None, "pre_tokenizer": byte_level,
          "post_processor": dict(byte_level, trim_offsets=False), "decoder": byte_level,
          "model": {"type": "BPE", "dropout": None, "unk_token": None,
                    "continuing_subword_prefix": None, "end_of_word_suffix": None,
                    "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                    "vocab": vocab, "merges": []}}
    with open(path, "w", encoding="utf-8") as out:
        json.dump(tj, out, ensure_ascii=False)


def eval_text():
    words = ("the of quantized weights keep a model small while its answers stay close "
             "to those of the full precision model when the groups are small").split()
    lines, state = [], 12345
    for _ in range(40):
        line = []
        for _ in range(12):
            state = (state * 1103515245 + 12345) % 2**31
            line.append(words[state % len(words)])
        lines.append(" ".join(line).capitalize() + ".")
    return "\n".join(lines) + "\n"


def log_softmax(x):
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


def program_logits(program, chunks):
    rows = []
    for chunk in chunks:
        out = program + ".chunk.logits"
        subprocess.run([program, "--tokens", ",".join(map(str, chunk)), "--max-tokens", "1",
                        "--logits", out], check=True, capture_output=True)
        rows.append(np.fromfile(out, dtype="<f4").reshape(len(chunk), -1))
        os.remove(out)
    return rows


def metrics(fp32_rows, quant_rows, chunks):
    """As the report defines them: every position but a chunk's last scored."""
    nll_p = nll_q = kl_sum = agree = 0.0
    kl_max, scored = 0.0, 0
    for p, q, chunk in zip(fp32_rows, quant_rows, chunks):
        lp, lq = log_softmax(p[:-1]), log_softmax(q[:-1])
        nxt = np.array(chunk[1:])
        idx = np.arange(len(nxt))
        nll_p -= lp[idx, nxt].sum()
        nll_q -= lq[idx, nxt].sum()
        kl = (np.exp(lp) * (lp - lq)).sum(axis=1)
        kl_sum += kl.sum()
        kl_max = max(kl_max, kl.max())
        agree += (p[:-1].argmax(axis=1) == q[:-1].argmax(axis=1)).sum()
        scored += len(nxt)
    return {"fp32": np.exp(nll_p / scored), "perplexity": np.exp(nll_q / scored),
            "mean_kl": kl_sum / scored, "max_kl": kl_max, "top1_agreement": agree / scored,
            "scored": scored}


def check_close(what, got, want, rtol=1e-6, atol=1e-9):
    if not abs(got - want) <= atol + rtol * abs(want):
        raise SystemExit(f"FAIL {what}: report {got!r}, numpy {want!r}")


def check_report(report, expected):
    check_close("fp32 perplexity", report["fp32"]["perplexity"], expected["fp32"])
    for key in ("perplexity", "mean_kl", "max_kl", "top1_agreement"):
        check_close(key, report["quantized"][key], expected[key])
    if report["eval"]["scored_tokens"] != expected["scored"]:
        raise SystemExit(f"FAIL scored tokens {report['eval']['scored_tokens']} != {expected['scored']}")


def xfc(args, command, **kwargs):
    print("$", " ".join(command), flush=True)
    return subprocess.run([args.xfc] + command, **kwargs)


def no_leftovers(out):
    left = glob.glob(out + ".quality-*")
    if left:
        raise SystemExit(f"FAIL scratch folders left behind: {left}")


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
    model = os.path.join(args.workdir, "model.onnx")
    subprocess.run([sys.executable, args.model_script, model], check=True,
                   stdout=subprocess.DEVNULL)
    byte_level_tokenizer(os.path.join(args.workdir, "tokenizer.json"))
    text_path = os.path.join(args.workdir, "eval.txt")
    text = eval_text()
    with open(text_path, "w") as f:
        f.write(text)
    data = text.encode()
    chunks = [list(data[c * CTX:(c + 1) * CTX]) for c in range(CHUNKS)]
    common = ["--eval-text", text_path, "--eval-ctx", str(CTX), "--eval-chunks", str(CHUNKS)]

    fp32 = os.path.join(args.workdir, "fp32")
    xfc(args, [model, "-o", fp32], check=True, stderr=subprocess.DEVNULL)
    fp32_rows = program_logits(fp32, chunks)

    # 1. The report against numpy.
    out = os.path.join(args.workdir, "int4")
    xfc(args, [model, "-o", out, "--quantize=int4"] + common, check=True)
    for path in (out, out + ".xfw", out + ".quality.json"):
        if not os.path.exists(path):
            raise SystemExit(f"FAIL {path} missing")
    no_leftovers(out)
    report = json.load(open(out + ".quality.json"))
    int4 = metrics(fp32_rows, program_logits(out, chunks), chunks)
    check_report(report, int4)
    ranked = report["layers"]["ranked"]
    errors = [layer["rel_rms_error"] for layer in ranked]
    bits = {layer["weight"]: layer["bits"] for layer in ranked}
    if len(ranked) != 15 or errors != sorted(errors, reverse=True) or bits["lm_head.weight"] != 8 \
            or sorted(set(bits.values())) != [4, 8] or not all(0 < e < 0.5 for e in errors):
        raise SystemExit(f"FAIL ranked layers: {ranked}")
    print(f"1. report = numpy: ppl fp32 {int4['fp32']:.4f} int4 {int4['perplexity']:.4f}, "
          f"mean KL {int4['mean_kl']:.3e}, top-1 {int4['top1_agreement']:.4f}; "
          f"top layer {ranked[0]['weight']} {ranked[0]['rel_rms_error']:.4f}")

    # 2. An impossible bound: refused, nothing left but the report.
    refused = os.path.join(args.workdir, "refused")
    for stale in (refused, refused + ".xfw"):
        with open(stale, "w") as f:
            f.write("stale\n")
    run = xfc(args, [model, "-o", refused, "--quantize=int4", "--min-quality=kl:0,top1:100%"]
              + common, capture_output=True, text=True)
    sys.stderr.write(run.stderr[-2000:])
    if run.returncode != 3 or "--min-quality=kl:0,top1:100% missed" not in run.stderr \
            or "no program written" not in run.stderr:
        raise SystemExit(f"FAIL refusal: exit {run.returncode}")
    for path in (refused, refused + ".xfw"):
        if os.path.exists(path):
            raise SystemExit(f"FAIL {path} left behind after a refusal")
    no_leftovers(refused)
    verdict = json.load(open(refused + ".quality.json"))["min_quality"]
    if verdict["passed"] is not False:
        raise SystemExit(f"FAIL refused report says {verdict}")
    print("2. impossible bound refused (exit 3), no program or weights left")

    # 3. Fallback to int8 for the most sensitive layers.
    all8 = os.path.join(args.workdir, "int8")
    xfc(args, [model, "-o", all8, "--quantize=int8"], check=True, stderr=subprocess.DEVNULL)
    int8 = metrics(fp32_rows, program_logits(all8, chunks), chunks)
    if not int8['mean_kl'] < int4['mean_kl']:
        raise SystemExit(f"FAIL int8 KL {int8['mean_kl']} not below int4's {int4['mean_kl']}")
    bound = (int8['mean_kl'] + int4['mean_kl']) / 2
    fallback = os.path.join(args.workdir, "fallback")
    xfc(args, [model, "-o", fallback, "--quantize=int4", f"--min-quality=kl:{bound:.6g}",
               "--quality-fallback"] + common, check=True)
    no_leftovers(fallback)
    report = json.load(open(fallback + ".quality.json"))
    kept = report["quantized"]["int8_weights"]
    int4_ranked = [l["weight"] for l in report["layers"]["ranked"] if l["bits"] == 4]
    if len(report["attempts"]) < 2 or not kept or kept != int4_ranked[:len(kept)] \
            or not report["min_quality"]["passed"]:
        raise SystemExit(f"FAIL fallback: {json.dumps(report, indent=1)}")
    check_report(report, metrics(fp32_rows, program_logits(fallback, chunks), chunks))
    print(f"3. fallback: bound kl:{bound:.6g} (int4 {int4['mean_kl']:.3e}, int8 "
          f"{int8['mean_kl']:.3e}) met after {len(report['attempts'])} builds with "
          f"{len(kept)} of {len(int4_ranked)} int4 layers kept at int8 "
          f"(mean KL {report['quantized']['mean_kl']:.3e})")
    print("ok")


if __name__ == "__main__":
    main()
