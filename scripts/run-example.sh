#!/usr/bin/env bash
# The README's main job: set up, build, make the bundled example model (a
# small Llama-style decoder exported the way torch.onnx writes Llama), compile
# it with xfc into a standalone program, and generate tokens with it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
./scripts/build.sh
mkdir -p build/examples
python3 examples/make_llama_block.py build/examples/llama_block.onnx
echo "== xfc build/examples/llama_block.onnx -o build/examples/llama_block"
./build/bin/xfc build/examples/llama_block.onnx -o build/examples/llama_block
echo "== build/examples/llama_block --tokens 1,2,3,4,5 --max-tokens 16"
./build/examples/llama_block --tokens 1,2,3,4,5 --max-tokens 16
echo "== build/examples/llama_block bench --prompt-len 64 --gen-len 16"
./build/examples/llama_block bench --prompt-len 64 --gen-len 16
