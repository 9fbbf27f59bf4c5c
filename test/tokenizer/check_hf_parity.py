#!/usr/bin/env python3
"""Parity of the runtime tokenizer (through xf-tokenize) with Hugging Face
`tokenizers` on varied text.

  python3 test/tokenizer/check_hf_parity.py --xf-tokenize build/bin/xf-tokenize \\
      --workdir /tmp/tok-parity [--tokenizer-dir build/smollm2] [--gguf F.gguf]

Text (built at run time, nothing downloaded; about 300 KB, --scale changes it):
  - prose and code: the Python standard library's sources and
    /usr/share/common-licenses/*, in chunks;
  - Unicode from a fixed-seed generator: Latin with accents (composed and
    with combining marks), Greek, Cyrillic, CJK, kana, Hangul, Arabic with
    Arabic-Indic digits, Devanagari with vowel signs, emoji with skin tones,
    ZWJ sequences, flags and keycaps, odd spaces (NBSP, U+2009, U+3000,
    U+0085, U+2028, U+000B/U+000C, U+001C, zero-width space);
  - whitespace runs (spaces, tabs, newlines, CR LF, trailing spaces),
    numbers in many forms, contractions in mixed case, special-token text.

Tokenizers:
  gpt2, smollm, llama3: trained here with tokenizers' BpeTrainer (vocab
    2000, the full byte alphabet, <|endoftext|> <|im_start|> <|im_end|> as
    special tokens) on a third of the text, with the ByteLevel,
    Digits+ByteLevel and Llama-3 Split+ByteLevel pre-tokenizers (llama3 also
    with ignore_merges, as Llama-3 has).
  smollm2: the real SmolLM2 tokenizer, from --tokenizer-dir DIR
    (tokenizer.json, tokenizer_config.json) when it exists, else built from
    --gguf FILE (tokenizer.ggml.* metadata) when given; skipped with a
    printed reason otherwise.

For each: every sample is encoded by xf-tokenize (which imports
tokenizer.json, writes it into an .xfw file and reads it back) and by
tokenizers (add_special_tokens=False); the ids must be identical. Then
xf-tokenize decodes its ids; the text must equal the sample (and
tokenizers' decode). 300 sequences of random ids must decode as tokenizers
decodes them (split UTF-8 characters become U+FFFD). The first mismatch is
reported with context. Chat prompts (ChatML, Llama 3, SmolLM2's own template) must equal what
jinja2 renders from the template, when jinja2 is installed. Malformed
tokenizer.json files must be refused with
messages that name the file and the JSON path. Last, the
whole text is encoded at once with --time: 100 KB must take under a second
(a cold word cache).

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
            return rng.choice(["１２３", "²³", "Ⅻ", "½", "٣٤٥", "३४५",
                               str(rng.randint(0, 10**9))])
        raise ValueError(kind)

    kinds = ["latin", "greek", "Greek", "cyrillic", "cjk", "kana", "hangul",
             "arabic", "devanagari", "emoji", "numbers"]
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

def train_tokenizer(kind, training_text, out_dir):
    from tokenizers import Tokenizer, Regex, decoders, models, pre_tokenizers
    from tokenizers import processors, trainers
    model = models.BPE(ignore_merges=(kind == "llama3"))
    tok = Tokenizer(model)
    if kind == "gpt2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False,
                                                     use_regex=True)
    elif kind == "smollm":
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    elif kind == "llama3":
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3_REGEX), behavior="isolated",
                                 invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    specials = SPECIALS + (LLAMA3_SPECIALS if kind == "llama3" else [])
    trainer = trainers.BpeTrainer(
        vocab_size=2000, min_frequency=2, special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False)
    tok.train_from_iterator(training_text, trainer=trainer)
    os.makedirs(out_dir, exist_ok=True)
    tok.save(os.path.join(out_dir, "tokenizer.json"))
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        if kind == "llama3":
            json.dump({"chat_template": LLAMA3_TEMPLATE,
                       "bos_token": "<|begin_of_text|>",
                       "eos_token": "<|eot_id|>"}, f)
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


def check(name, tok_dir, samples, xf_tokenize, workdir):
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
        if text == sample and hf.decode(ids, skip_special_tokens=False) == sample:
            continue
        at = first_difference(text, sample)
        print("%s: decode(encode(x)) != x in sample %d at char %s:" % (
            name, i, at))
        at = at or 0
        print("  expected: %r" % sample[max(0, at - 40):at + 40])
        print("  decoded:  %r" % text[max(0, at - 40):at + 40])
        print("  tokenizers' decode equal to the sample: %s" % (
            hf.decode(ids, skip_special_tokens=False) == sample))
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
    print("%s: %d samples, %d bytes, %d tokens: ids identical, "
          "decode(encode(x)) == x; %d random id sequences decode the same" %
          (name, len(samples), total, tokens, len(random_ids)))
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

    cases = [
        (lambda x: x.update(pre_tokenizer={"type": "Metaspace"}),
         "pre_tokenizer: unsupported pre-tokenizer Metaspace"),
        (lambda x: merge5(x, 42), "model.merges[5]: expected"),
        (lambda x: merge5(x, ["zz", "qq"]), "model.merges[5] ('zz' 'qq')"),
        (lambda x: x.update(normalizer={"type": "NFC"}),
         "normalizer: unsupported normalizer NFC"),
        (lambda x: x["added_tokens"][0].update(lstrip=True),
         "added_tokens[0].lstrip"),
        (lambda x: x.update(decoder=None), "decoder: expected a ByteLevel"),
        (lambda x: x["model"].update(vocab=[]), "model.vocab: expected"),
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--xf-tokenize", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--tokenizer-dir",
                        help="a directory with the real SmolLM2 "
                        "tokenizer.json (+ tokenizer_config.json)")
    parser.add_argument("--gguf", help="build the SmolLM2 tokenizer from "
                        "this GGUF when --tokenizer-dir has none")
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

    samples = build_corpus(args.scale)
    total = sum(len(s.encode("utf-8")) for s in samples)
    print("text: %d samples, %d bytes" % (len(samples), total))
    training = samples[::3]

    ok = True
    for kind in ["gpt2", "smollm", "llama3"]:
        start = time.time()
        tok_dir = train_tokenizer(kind, training,
                                  os.path.join(args.workdir, "trained-" + kind))
        print("%s: trained in %.1f s" % (kind, time.time() - start))
        ok &= check(kind, tok_dir, samples, args.xf_tokenize, args.workdir)
        if kind != "smollm":
            ok &= check_chat(kind, tok_dir, args.xf_tokenize)

    ok &= check_errors(args.xf_tokenize, args.workdir, os.path.join(
        args.workdir, "trained-gpt2", "tokenizer.json"))

    real_dir = None
    if args.tokenizer_dir and os.path.exists(
            os.path.join(args.tokenizer_dir, "tokenizer.json")):
        real_dir = args.tokenizer_dir
    elif args.gguf and os.path.exists(args.gguf):
        real_dir = tokenizer_from_gguf(
            args.gguf, os.path.join(args.workdir, "smollm2-from-gguf"))
    else:
        print("smollm2: SKIPPED: no tokenizer.json in --tokenizer-dir %s and "
              "no --gguf (scripts/make-smollm2.sh writes build/smollm2/)" %
              args.tokenizer_dir)
        # Under CI the setup made those assets: their absence is a failure.
        ok &= os.environ.get("CI") != "true"
    if real_dir:
        ok &= check("smollm2", real_dir, samples, args.xf_tokenize,
                    args.workdir)
        if os.path.exists(os.path.join(real_dir, "tokenizer_config.json")):
            ok &= check_chat("smollm2", real_dir, args.xf_tokenize)
        ok &= check_speed("smollm2", real_dir, samples, args.xf_tokenize,
                          args.workdir, args.time_limit)
    else:
        ok &= check_speed("gpt2", os.path.join(args.workdir, "trained-gpt2"),
                          samples, args.xf_tokenize, args.workdir,
                          args.time_limit)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
