#!/usr/bin/env bash
# Configures and builds xfc in ./build with clang-22, lld and ninja.
# Extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
BUILD_DIR=${BUILD_DIR:-build}
cmake -G Ninja -B "$BUILD_DIR" \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld \
  -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld -DCMAKE_MODULE_LINKER_FLAGS=-fuse-ld=lld \
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
  -DPython3_EXECUTABLE="$(command -v python3)" \
  -DXF_ENABLE_FUZZER=ON "$@"
ninja -C "$BUILD_DIR"
