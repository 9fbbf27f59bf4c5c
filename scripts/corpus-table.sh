#!/usr/bin/env bash
# Regenerates docs/corpus.md, the export corpus coverage table: builds xfc,
# compiles every export of test/corpus/manifest.json and checks it against
# onnxruntime (test/corpus/check_corpus.py; about 10 minutes on 2 cores).
# Exit status: that of the checks (0 when every export passes).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
./scripts/build.sh >/dev/null
BUILD="${BUILD_DIR:-build}"
python3 test/corpus/check_corpus.py --xfc "$BUILD/bin/xfc" \
  --workdir "$BUILD/corpus-table" --table docs/corpus.md "$@"
