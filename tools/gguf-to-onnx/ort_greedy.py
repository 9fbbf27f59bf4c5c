#!/usr/bin/env python3
"""Greedy decoding with onnxruntime on a model written by gguf_to_onnx.py,
with the KV cache (present.* fed back as past_key_values.*): the reference
tokens for tests of the compiled SmolLM2 program.

    python3 tools/gguf-to-onnx/ort_greedy.py --model DIR/model.onnx \\
        --tokenizer DIR/tokenizer.json --prompt TEXT --max-tokens N

Prints the generated ids (not the prompt's) comma-separated on one line;
exactly N of them unless --stop-at-eos (the compiled program does not stop
at EOS either). The prompt is tokenized as is (special tokens such as
<|im_start|> are recognized; no BOS is added: the GGUF says add_bos false);
--chat wraps it in the chat template first, --tokens gives ids directly.
Timing goes to stderr.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort


class OrtLM:
    def __init__(self, model, threads=0):
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        self.sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
        self.past_inputs = [i for i in self.sess.get_inputs() if i.name.startswith("past_key_values.")]
        self.outputs = [o.name for o in self.sess.get_outputs()]
        self.reset()

    def reset(self):
        self.past = {i.name: np.zeros((1, i.shape[1], 0, i.shape[3]), np.float32) for i in self.past_inputs}
        self.n_past = 0

    def forward(self, ids):
        """Runs ids (a list) after the cached ones; returns logits [len(ids), vocab]."""
        n = len(ids)
        feed = {"input_ids": np.array([ids], np.int64),
                "attention_mask": np.ones((1, self.n_past + n), np.int64),
                "position_ids": np.arange(self.n_past, self.n_past + n, dtype=np.int64)[None],
                **self.past}
        out = dict(zip(self.outputs, self.sess.run(self.outputs, feed)))
        self.past = {name.replace("present.", "past_key_values."): v
                     for name, v in out.items() if name.startswith("present.")}
        self.n_past += n
        return out["logits"][0]

    def greedy(self, prompt_ids, max_tokens, eos=None):
        """Returns (generated ids, prompt logits [len, vocab], prefill s, decode s)."""
        self.reset()
        t0 = time.perf_counter()
        prompt_logits = self.forward(list(prompt_ids))
        t1 = time.perf_counter()
        out, last = [], prompt_logits[-1]
        while len(out) < max_tokens:
            tok = int(np.argmax(last))
            out.append(tok)
            if (eos is not None and tok == eos) or len(out) == max_tokens:
                break
            last = self.forward([tok])[-1]
        return out, prompt_logits, t1 - t0, time.perf_counter() - t1


def load_tokenizer(path):
    from tokenizers import Tokenizer
    return Tokenizer.from_file(path)


def chat_prompt(tokenizer_json, text):
    """The GGUF's chat template applied to one user message (jinja2)."""
    import jinja2
    cfg_path = os.path.join(os.path.dirname(tokenizer_json), "tokenizer_config.json")
    with open(cfg_path, encoding="utf-8") as fh:
        template = json.load(fh)["chat_template"]
    return jinja2.Template(template).render(messages=[{"role": "user", "content": text}],
                                            add_generation_prompt=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--tokenizer", help="tokenizer.json (needed for --prompt)")
    parser.add_argument("--prompt")
    parser.add_argument("--tokens", help="prompt ids, comma-separated, instead of --prompt")
    parser.add_argument("--chat", action="store_true", help="apply the chat template to --prompt")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--stop-at-eos", action="store_true")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if (args.prompt is None) == (args.tokens is None):
        parser.error("give exactly one of --prompt and --tokens")
    if args.tokens is not None:
        ids = [int(t) for t in args.tokens.split(",") if t.strip()]
    else:
        if not args.tokenizer:
            parser.error("--prompt needs --tokenizer")
        text = chat_prompt(args.tokenizer, args.prompt) if args.chat else args.prompt
        ids = load_tokenizer(args.tokenizer).encode(text, add_special_tokens=False).ids
    eos = None
    if args.stop_at_eos:
        cfg = os.path.join(os.path.dirname(os.path.abspath(args.model)), "generation_config.json")
        with open(cfg) as fh:
            eos = json.load(fh)["eos_token_id"]
    lm = OrtLM(args.model, args.threads)
    out, _, prefill, decode = lm.greedy(ids, args.max_tokens, eos)
    print(",".join(str(t) for t in out), flush=True)
    print(f"ort_greedy: prompt {len(ids)} tokens, prefill {prefill * 1e3:.0f} ms "
          f"({len(ids) / prefill:.1f} tok/s); decode {len(out) - 1} tokens in {decode:.2f} s "
          f"({(len(out) - 1) / decode if decode > 0 else 0:.1f} tok/s)", file=sys.stderr)


if __name__ == "__main__":
    main()
