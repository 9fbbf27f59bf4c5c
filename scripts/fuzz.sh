#!/usr/bin/env bash
# A long libFuzzer campaign on the ONNX importer (not part of the tests).
#   scripts/fuzz.sh [SECONDS] [JOBS]
# New inputs are kept in build/fuzz-corpus; crashes land in build/fuzz-crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3600}
jobs=${2:-1}
mkdir -p build/fuzz-corpus build/fuzz-crashes
ASAN_OPTIONS=detect_leaks=1 ./build/bin/xf-onnx-import-fuzzer \
  -max_total_time="$seconds" -max_len=65536 -timeout=20 -rss_limit_mb=4096 \
  -jobs="$jobs" -workers="$jobs" -print_final_stats=1 \
  -artifact_prefix=build/fuzz-crashes/ -dict=test/fuzz/onnx.dict \
  build/fuzz-corpus test/fuzz/corpus
