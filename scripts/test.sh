#!/usr/bin/env bash
# The README's test command: set up, build, and run every test (ctest runs
# lit + FileCheck, GoogleTest, the ONNX node-test import walk and a short
# fuzz run).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source scripts/venv.sh
./scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j2
