#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh Debian machine with Python 3.11:
# installs Dovecot (the real IMAP server the tests start on loopback), creates .venv,
# installs the project with its dev tools, then runs ruff, mypy and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v dovecot >/dev/null 2>&1 || need_apt+=(dovecot-imapd)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "installing ${need_apt[*]} (Debian packages)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# PYTHON=python3.13 scripts/test.sh runs the suite on another Python, in its own .venv-3.13.
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
VENV=.venv
if [ -n "${PYTHON:-}" ]; then
  VENV=".venv-$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[dev]'
echo "== $("$VENV/bin/python" --version)"

echo "== ruff"; "$VENV/bin/ruff" check . && "$VENV/bin/ruff" format --check .
echo "== mypy"; "$VENV/bin/mypy"
echo "== pytest"
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
