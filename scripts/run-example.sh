#!/usr/bin/env bash
# The README's main job: set up, build, make the bundled example model (a
# small Llama-style decoder exported the way torch.onnx writes it) and import
# it into MLIR.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
mkdir -p build/examples
python3 examples/make_llama_block.py build/examples/llama_block.onnx
echo "== xf-translate --import-onnx build/examples/llama_block.onnx"
./build/bin/xf-translate --import-onnx build/examples/llama_block.onnx \
  --mlir-elide-resource-strings-if-larger=64 -o build/examples/llama_block.mlir
grep -c "onnx\." build/examples/llama_block.mlir | xargs echo "onnx ops imported:"
echo "== canonicalize + onnx-infer-shapes (xf-opt)"
./build/bin/xf-opt build/examples/llama_block.mlir -canonicalize -onnx-infer-shapes \
  --mlir-elide-resource-strings-if-larger=64 | sed -n '1,40p'
