#!/usr/bin/env bash
# Set up and open supportinbox on the bundled demo mailbox: no account, no network.
# Replies written in the demo are saved as .eml files, never sent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e .
exec .venv/bin/supportinbox demo "$@"
