#!/usr/bin/env bash
# SmolLM2-135M on the CPU, side by side, in one run (issue 17): xfc's
# compiled programs (fp32, --quantize=int8, --quantize=int4), onnxruntime
# (fp32) and llama.cpp (F32, Q8_0 and Q4_1 GGUFs). Prefill tokens/s at 128
# and 512 tokens; decode tokens/s at context 64 and 1024 and their ratio;
# everything on 2 threads and on 1 (thread scaling), and the 2-thread
# figures again with one core loaded by another process (busy neighbour, xfc
# and llama.cpp); peak RSS, file sizes, the machine's memory read bandwidth
# (bench/membw.c) and decode as a fraction of it; the llama.cpp
# configuration that ran (with a fallback when its default one fails).
# Writes the section "CPU prefill and decode side by side (issue 17)" of
# docs/benchmarks.md and docs/img/smollm2-issue17.png (other sections are
# left alone), and every measurement to WORK/results.json.
#
#   bench/run.sh [--xfc PATH] [--assets DIR] [--work DIR] [--reuse]
#                [--repeats N] [--quick] [--no-docs] [...]
#
#   --xfc PATH     the compiler (default build/bin/xfc of this repository):
#                  rerun after a rebuild, or point at another build
#   --assets DIR   the SmolLM2 files (default build/smollm2, made by
#                  scripts/make-smollm2.sh when missing or stale; a DIR given
#                  here is used as it is)
#   --work DIR     where the three programs are compiled and membw built
#                  (default build/bench-smollm2)
#   --reuse        keep the programs an earlier run compiled into WORK
#   --repeats N    repeats of every measurement, best reported, spread too
#                  (default 3)
#   --quick        a short trial of the whole command (1 repeat, 16 decode
#                  steps, onnxruntime on 2 threads only, no waiting for an
#                  idle machine); what it writes to the docs says so
#   --no-docs      print the tables only; leave docs/ alone
#   --help         this text, then every option of the driver
#                  (bench/smollm2_side_by_side.py: --threads,
#                  --scaling-threads, --no-busy, --engines, --contexts,
#                  --prefill-lens, --gen-len, --wait-idle, --retries, ...)
#
# On a 2-core machine --quick took 20 minutes (while other work held half
# the CPU); a full run (--repeats 3) should take 35 to 50 minutes, plus 5
# to 9 minutes to compile the three programs (bench/README.md). Needs
# the compiler (scripts/build.sh) and the Python packages of
# requirements.txt; installs llama-cpp-python and matplotlib when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh

xfc=build/bin/xfc
assets=build/smollm2
assets_given=0
work=build/bench-smollm2
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --help | -h)
      sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
      echo "== bench/smollm2_side_by_side.py --help"
      exec python3 bench/smollm2_side_by_side.py --help ;;
    --xfc) xfc="${args[$((i + 1))]:-}" ;;
    --xfc=*) xfc="${args[$i]#--xfc=}" ;;
    --assets) assets="${args[$((i + 1))]:-}"; assets_given=1 ;;
    --assets=*) assets="${args[$i]#--assets=}"; assets_given=1 ;;
    --work) work="${args[$((i + 1))]:-}" ;;
    --work=*) work="${args[$i]#--work=}" ;;
  esac
done

if [ ! -x "$xfc" ]; then
  echo "bench/run.sh: $xfc is missing; build it first (scripts/build.sh) or pass --xfc PATH" >&2
  exit 1
fi

if [ "$assets_given" = 0 ]; then
  scripts/make-smollm2.sh "$assets"
else
  for f in model.onnx model.onnx.data smollm2-135m-f32.gguf smollm2-135m-q8_0.gguf \
           smollm2-135m-q4_1.gguf; do
    if [ ! -e "$assets/$f" ]; then
      echo "bench/run.sh: $assets/$f is missing (scripts/make-smollm2.sh $assets makes it)" >&2
      exit 1
    fi
  done
fi

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
# The options given last win: --xfc, --assets and --work as run.sh read them.
exec python3 bench/smollm2_side_by_side.py --command "$cmd" "$@" \
  --xfc "$xfc" --assets "$assets" --work "$work"
