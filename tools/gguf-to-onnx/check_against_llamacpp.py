#!/usr/bin/env python3
"""Checks gguf_to_onnx.py's output against llama.cpp (llama-cpp-python) on
the fp32 GGUF: for a few prompts, the tokenizer.json ids against llama.cpp's
tokenizer, the logits at the prompt's last position (max abs difference) and
the first N greedy tokens (onnxruntime with the KV cache vs llama.cpp, both
greedy on raw logits). A manual check, not a CI test:

    pip install llama-cpp-python   # compiles llama.cpp; not in requirements.txt
    python3 tools/gguf-to-onnx/check_against_llamacpp.py DIR [--tokens 32]

Exits 1 when a tokenization or the greedy tokens differ or a logit
difference exceeds --tolerance.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ort_greedy import OrtLM, chat_prompt, load_tokenizer  # noqa: E402

PROMPTS = [
    ("chat", "What is the capital of France?"),
    ("chat", "Write a Python function that returns the sum of 12345 and 678."),
    ("raw", "Once upon a time, in a small village,"),
    ("raw", "The numbers 3.14159 and 2024-11-27, plus    spaces\tand\nnewlines; émojis 🤖 and 日本語."),
]
TOKENIZER_ONLY = [
    "Hello world", " Hello  world ", "<|im_start|>user\nhi<|im_end|>\n", "don't I'll we've 1234567",
    "<jupyter_code>print(1)<empty_output>", "ÀÉÎ õ ñ ß ﬁ", "\n\n\n  \t x", "a<|endoftext|>b",
]


def llama_greedy(llm, ids, n):
    import llama_cpp
    llm.reset()
    llm.eval(ids)
    prompt_last = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    out, last = [], prompt_last
    while len(out) < n:
        tok = int(np.argmax(last))
        out.append(tok)
        if len(out) == n:
            break
        llm.eval([tok])
        last = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float32)
    del llama_cpp
    return out, prompt_last


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", help="gguf_to_onnx.py's output directory")
    parser.add_argument("--gguf", help="default DIR/smollm2-135m-f32.gguf")
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--tolerance", type=float, default=1e-2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    import llama_cpp

    llm = llama_cpp.Llama(model_path=args.gguf or os.path.join(args.dir, "smollm2-135m-f32.gguf"),
                          n_ctx=512, n_batch=512, n_threads=args.threads, n_threads_batch=args.threads,
                          logits_all=True, type_k=llama_cpp.GGML_TYPE_F32, type_v=llama_cpp.GGML_TYPE_F32,
                          verbose=False)
    tok_path = os.path.join(args.dir, "tokenizer.json")
    tok = load_tokenizer(tok_path)
    lm = OrtLM(os.path.join(args.dir, "model.onnx"), args.threads)
    ok = True

    for text in TOKENIZER_ONLY + [chat_prompt(tok_path, t) if k == "chat" else t for k, t in PROMPTS]:
        a = tok.encode(text, add_special_tokens=False).ids
        b = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        same = a == b
        ok &= same
        print(f"tokenize {'same' if same else 'DIFFERENT'} ({len(a)} ids): {text[:40]!r}"
              + ("" if same else f"\n  tokenizers {a}\n  llama.cpp  {b}"))
        if tok.decode(a, skip_special_tokens=False) != text:
            print(f"  note: decode does not round-trip: {tok.decode(a, skip_special_tokens=False)!r}")

    for kind, text in PROMPTS:
        prompt = chat_prompt(tok_path, text) if kind == "chat" else text
        ids = tok.encode(prompt, add_special_tokens=False).ids
        ort_out, ort_logits, prefill, decode = lm.greedy(ids, args.tokens)
        cpp_out, cpp_last = llama_greedy(llm, ids, args.tokens)
        diff = float(np.max(np.abs(ort_logits[-1] - cpp_last)))
        agree = next((i for i, (x, y) in enumerate(zip(ort_out, cpp_out)) if x != y), len(ort_out))
        good = agree == args.tokens and diff <= args.tolerance
        ok &= good
        print(f"\n[{kind}] {text!r}: prompt {len(ids)} tokens; last-position logits max |diff| {diff:.3g} "
              f"(|logit| max {np.max(np.abs(cpp_last)):.1f}); greedy tokens agree "
              f"{agree}/{args.tokens}; ORT prefill {len(ids) / prefill:.0f} tok/s, decode "
              f"{(len(ort_out) - 1) / decode:.1f} tok/s")
        print(f"  ORT:       {ort_out}\n  llama.cpp: {cpp_out}")
        print(f"  text: {tok.decode(ort_out)!r}")
    print("\nOK" if ok else "\nMISMATCH")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
