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
grep -m1 "func.func @main" build/examples/llama_block.mlir
echo "== onnx ops imported, by type"
grep -o "onnx\.[A-Z][A-Za-z]*" build/examples/llama_block.mlir | sort | uniq -c | sort -rn
echo "== attention of layer 0 after canonicalize + onnx-infer-shapes (xf-opt)"
./build/bin/xf-opt build/examples/llama_block.mlir -canonicalize -onnx-infer-shapes \
  --mlir-elide-resource-strings-if-larger=64 -o build/examples/llama_block.opt.mlir
grep -m4 -E "onnx\.(Softmax|Expand|MatMul %.*Transpose)|onnx\.Reshape .*x4x\?x16" build/examples/llama_block.opt.mlir
echo "== wrote build/examples/llama_block.mlir and build/examples/llama_block.opt.mlir"
