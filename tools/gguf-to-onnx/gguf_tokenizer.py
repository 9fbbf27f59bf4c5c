#!/usr/bin/env python3
"""tokenizer.json from a SentencePiece-style GGUF vocabulary.

A GGUF whose `tokenizer.ggml.model` is "llama" (SentencePiece BPE: Llama 2,
Mistral, Gemma) stores pieces and scores but no merges: SentencePiece merges
the adjacent pair whose joined piece scores highest. Hugging Face's
`tokenizers` writes the same model as BPE with explicit merges, ranked by
the score of the joined piece (ties by the ids of the two parts) -- the form
the models' own repositories ship -- with byte fallback (<0xNN> pieces), a
Replace(" " -> "▁") normalizer and the Replace/ByteFallback/Fuse decoder.
transformers' GGUF loader instead writes some of these (Gemma 3) as Unigram
over the same scores, which segments differently from the model's training
tokenizer ("What" -> "Wh" "at"); this file builds the BPE form.

    python3 tools/gguf-to-onnx/gguf_tokenizer.py MODEL.gguf OUTDIR [--chat-template FILE]

writes OUTDIR/tokenizer.json and OUTDIR/tokenizer_config.json (bos/eos,
add_bos_token, and the chat template: the GGUF's, else --chat-template's).
"""
import argparse
import json
import os

import gguf

# llama.cpp's token types (gguf.TokenType).
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


def _field(reader, key, default=None):
    field = reader.fields.get(key)
    if field is None:
        return default
    return field.contents()


def spm_tokenizer(reader):
    """(tokenizer.json dict, tokenizer_config.json dict) of an SPM GGUF."""
    model = _field(reader, "tokenizer.ggml.model")
    if model != "llama":
        raise SystemExit(f"gguf_tokenizer: tokenizer.ggml.model is {model!r}, not 'llama' (SentencePiece)")
    tokens = _field(reader, "tokenizer.ggml.tokens")
    scores = _field(reader, "tokenizer.ggml.scores")
    types = _field(reader, "tokenizer.ggml.token_type")
    bos = _field(reader, "tokenizer.ggml.bos_token_id")
    eos = _field(reader, "tokenizer.ggml.eos_token_id")
    unk = _field(reader, "tokenizer.ggml.unknown_token_id", 0)
    add_bos = bool(_field(reader, "tokenizer.ggml.add_bos_token", True))
    add_space_prefix = bool(_field(reader, "tokenizer.ggml.add_space_prefix", False))

    vocab = {}
    for i, t in enumerate(tokens):
        vocab.setdefault(t, i)
    # Merges: every split of a normal piece into two pieces of the vocabulary,
    # ranked by the joined piece's score (stable: then by the parts' ids).
    merges = []
    for i, t in enumerate(tokens):
        if types[i] != NORMAL or len(t) < 2:
            continue
        local = []
        for k in range(1, len(t)):
            left, right = t[:k], t[k:]
            li, ri = vocab.get(left), vocab.get(right)
            if li is not None and ri is not None and types[li] in (NORMAL, BYTE, UNKNOWN, USER_DEFINED) \
                    and types[ri] in (NORMAL, BYTE, UNKNOWN, USER_DEFINED):
                local.append((li, ri, left, right))
        local.sort()
        merges.extend((scores[i], left, right) for _, _, left, right in local)
    merges.sort(key=lambda m: m[0], reverse=True)

    added = []
    for i, t in enumerate(tokens):
        if types[i] in (CONTROL, USER_DEFINED, UNKNOWN):
            added.append({"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": types[i] != USER_DEFINED})
    normalizers = []
    if add_space_prefix:
        normalizers.append({"type": "Prepend", "prepend": "\u2581"})
    normalizers.append({"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"})
    decoders = [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                {"type": "ByteFallback"}, {"type": "Fuse"}]
    if add_space_prefix:
        decoders.append({"type": "Strip", "content": " ", "start": 1, "stop": 0})
    post = None
    if add_bos and bos is not None:
        name = tokens[bos]
        post = {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": name, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": name, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": name, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {name: {"id": name, "ids": [bos], "tokens": [name]}}}
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        "normalizer": normalizers[0] if len(normalizers) == 1 else {"type": "Sequence", "normalizers": normalizers},
        "pre_tokenizer": None, "post_processor": post,
        "decoder": {"type": "Sequence", "decoders": decoders},
        "model": {"type": "BPE", "dropout": None, "unk_token": tokens[unk], "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True, "ignore_merges": False,
                  "vocab": vocab, "merges": [[left, right] for _, left, right in merges]},
    }
    config = {"add_bos_token": add_bos, "add_eos_token": False,
              "bos_token": tokens[bos] if bos is not None else None,
              "eos_token": tokens[eos] if eos is not None else None,
              "unk_token": tokens[unk], "clean_up_tokenization_spaces": False}
    template = _field(reader, "tokenizer.chat_template")
    if template:
        config["chat_template"] = template
    return tokenizer, config


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gguf")
    ap.add_argument("outdir")
    ap.add_argument("--chat-template", help="a Jinja chat template file, for a GGUF that has none")
    args = ap.parse_args()
    tokenizer, config = spm_tokenizer(gguf.GGUFReader(args.gguf))
    if "chat_template" not in config and args.chat_template:
        with open(args.chat_template, encoding="utf-8") as f:
            config["chat_template"] = f.read()
    os.makedirs(args.outdir, exist_ok=True)
    for name, data in (("tokenizer.json", tokenizer), ("tokenizer_config.json", config)):
        path = os.path.join(args.outdir, name)
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1 if name != "tokenizer.json" else None)
        os.replace(path + ".tmp", path)
    print(f"wrote {args.outdir}/tokenizer.json ({len(tokenizer['model']['vocab'])} pieces, "
          f"{len(tokenizer['model']['merges'])} merges) and tokenizer_config.json")


if __name__ == "__main__":
    main()
