#!/usr/bin/env bash
# SmolLM2-135M side by side, in one run: xfc's compiled program, onnxruntime
# and llama.cpp (fp32, Q8_0 and Q4_1 GGUFs), 2 threads each; prefill and
# decode tokens/s, peak RSS, file sizes, and the machine's memory read
# bandwidth (bench/membw.c). Writes the table into docs/benchmarks.md
# ("SmolLM2-135M side by side (issue 4)") and docs/img/smollm2-bench.png.
#
#   bench/run.sh [--reuse] [--repeats N] [--no-docs] [...]
#
# --reuse keeps a program compiled by an earlier run (build/bench-smollm2);
# the other options are bench/smollm2_side_by_side.py's (--help). Needs
# build/bin/xfc (scripts/build.sh) and the Python packages of
# requirements.txt; installs llama-cpp-python and matplotlib when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh

if [ ! -x build/bin/xfc ]; then
  echo "bench/run.sh: build/bin/xfc is missing; build it first (scripts/build.sh)" >&2
  exit 1
fi

scripts/make-smollm2.sh build/smollm2

if ! python3 -c "import llama_cpp" 2>/dev/null; then
  echo "== installing llama-cpp-python==0.3.36 (builds from source, several minutes)"
  CMAKE_BUILD_PARALLEL_LEVEL=2 python3 -m pip install llama-cpp-python==0.3.36 ||
    echo "bench/run.sh: llama-cpp-python did not install; the llama.cpp columns will be skipped" >&2
fi
if ! python3 -c "import matplotlib" 2>/dev/null; then
  echo "== installing bench/requirements.txt (matplotlib)"
  python3 -m pip install -r bench/requirements.txt ||
    echo "bench/run.sh: matplotlib did not install; no chart will be drawn" >&2
fi

cmd="bench/run.sh"
if [ "$#" -gt 0 ]; then cmd="$cmd $*"; fi
exec python3 bench/smollm2_side_by_side.py --xfc build/bin/xfc --assets build/smollm2 \
  --work build/bench-smollm2 --command "$cmd" "$@"
