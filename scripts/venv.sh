# Sourced by the other scripts: puts the project's virtual environment
# (.venv, made by scripts/setup.sh) first on PATH, so `python3` is the one
# whose packages the setup installed, never whatever a developer installed
# by hand.
XF_VENV="${XF_VENV:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.venv}"
if [ -x "$XF_VENV/bin/python3" ]; then
  export VIRTUAL_ENV="$XF_VENV"
  export PATH="$XF_VENV/bin:$PATH"
fi
