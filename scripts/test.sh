#!/usr/bin/env bash
# Set up and run the whole test suite on a fresh Debian machine with Python 3.11:
# installs Dovecot, Cyrus and Courier (the real IMAP servers the tests start on loopback), creates .venv,
# installs the project with its dev tools, then runs ruff, mypy and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/lib/dovecot/imap ] || need_apt+=(dovecot-imapd)  # dovecot-core alone has no IMAP service
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
# Cyrus IMAP and Courier IMAP, the second and third real servers of the suite. Their imapd
# packages (cyrus-imapd, courier-imap) conflict with dovecot-imapd -- all three "provide
# imap-server" -- so only their other parts are installed, and the two packages are
# unpacked into .cache/imap-servers, where tests/harness/{cyrus,courier}.py find them.
[ -x /usr/lib/cyrus/bin/master ] || need_apt+=(cyrus-common)
command -v saslpasswd2 >/dev/null 2>&1 || need_apt+=(sasl2-bin)
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib libcourierauth.so.0 || need_apt+=(courier-authlib)
have_lib libcourier-unicode.so.4 || need_apt+=(libcourier-unicode4)
have_lib libfam.so.0 || need_apt+=(libgamin0)
have_lib libgdbm.so.6 || need_apt+=(libgdbm6)
have_lib libidn.so.12 || need_apt+=(libidn12)
unpack=()
[ -x /usr/lib/cyrus/bin/imapd ] || [ -x .cache/imap-servers/root/usr/lib/cyrus/bin/imapd ] || unpack+=(cyrus-imapd)
[ -x .cache/imap-servers/root/usr/bin/imapd ] || unpack+=(courier-imap)

SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if [ ${#need_apt[@]} -gt 0 ] || [ ${#unpack[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing ${need_apt[*]} (Debian packages)"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
if [ ${#unpack[@]} -gt 0 ]; then
  echo "unpacking ${unpack[*]} into .cache/imap-servers (not installed: they conflict with dovecot-imapd)"
  mkdir -p .cache/imap-servers/root
  (cd .cache/imap-servers && apt-get download -qq "${unpack[@]}" 2>/dev/null && for deb in ./*.deb; do dpkg-deb -x "$deb" root; done && rm -f ./*.deb)
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
echo "== import contracts (.importlinter)"; "$VENV/bin/lint-imports" --no-cache
echo "== pytest"
# Most tests wait on a real server or a terminal, not on the CPU: several workers (pytest-xdist)
# keep the whole suite within the CI's time on two cores. SUPPORTINBOX_TEST_WORKERS=0 runs it
# in one process.
"$VENV/bin/python" -m pytest -q -p no:cacheprovider -n "${SUPPORTINBOX_TEST_WORKERS:-4}" "$@"
