#!/usr/bin/env bash
# Walk the app against a real server: starts the test suite's Dovecot and SMTP server on
# free loopback ports with a realistic support mailbox, writes two agents' configs (alice,
# bob) and opens the app as alice. Leaving the app stops the servers and removes it all.
#   scripts/playground.sh [--agent bob] [--no-tui | --setup-only] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dovecot >/dev/null 2>&1; then
  echo "playground: Dovecot is not installed (scripts/test.sh installs it, or: apt-get install dovecot-imapd)" >&2
  exit 1
fi
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
exec .venv/bin/python -m tests.harness.playground "$@"
