"""scripts/playground.sh: its setup runs, the CLI syncs against it, and it stops cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[2]


def _read_until(proc: subprocess.Popen[str], marker: str, timeout: float = 240) -> str:
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        assert time.monotonic() < deadline, f"the playground did not print {marker!r}:\n{seen}"
        line = proc.stdout.readline()
        assert line, f"the playground stopped early ({proc.poll()}):\n{seen}"
        seen += line
    return seen


def _cli(home: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SUPPORTINBOX_HOME": home}
    return subprocess.run(
        [sys.executable, "-m", "supportinbox", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_playground_sets_up_a_real_mailbox_for_two_agents_and_stops_cleanly() -> None:
    script = (ROOT / "scripts" / "playground.sh").read_text()
    assert "tests.harness.playground" in script
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.harness.playground", "--no-tui"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        printed = _read_until(proc, "Ctrl+C stops the playground.")
        root = Path(re.search(r"playground in (\S+)", printed).group(1))  # type: ignore[union-attr]
        port = int(re.search(r"IMAP 127\.0\.0\.1:(\d+)", printed).group(1))  # type: ignore[union-attr]
        alice = re.search(r"as alice: SUPPORTINBOX_HOME=(\S+)", printed).group(1)  # type: ignore[union-attr]
        assert (root / "muttrc").exists()

        synced = _cli(alice, "sync")
        assert synced.returncode == 0, synced.stderr
        listed = _cli(alice, "list", "--status", "all", "--json")
        rows = json.loads(listed.stdout)
        customers = {row["customer"] for row in rows}
        # Contact forms are their people, in Arabic and Persian too; bob's claim arrived.
        assert {"lina@customer.test", "omar@example.test", "samir@cedar-soft.test"} <= customers
        assert {"reza@parsian-soft.test", "anna@fjordtech.test", "tom@becker-bau.test"} <= customers
        assert "noreply@acme.test" not in customers
        (helen,) = [row for row in rows if row["subject"] == "Contract renewal and SSO question"]
        assert helen["assigned_to"] == "bob"
        junk = json.loads(_cli(alice, "junk", "list", "--json").stdout)
        assert {s["customer"] for s in junk} >= {"mateo@pastaio.test"}
        shown = json.loads(_cli(alice, "show", rows[0]["id"], "--json").stdout)
        assert shown["messages"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    assert "stopped;" in rest
    assert not root.exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "Dovecot still listens after the playground stopped"
