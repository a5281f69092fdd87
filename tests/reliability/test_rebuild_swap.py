"""A power cut at each step of a ``cache rebuild``'s swap: the next start loses nothing.

The app has the cache open meanwhile, with a reply it just queued still only in the
write-ahead log (as it is until SQLite folds the log into the file). The rebuild is
killed at each step of its swap (``kill -9``), then the app too: a power cut. The next
``sync`` must find a whole cache holding that reply and everything else, leave no file of
the swap behind, and say what it put right.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.cliproc import (
    cached_uids,
    cli_env,
    config_text,
    database_path,
    integrity_ok,
    open_cache,
    run_cli,
    server_uids,
    write_config,
)
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message

pytestmark = [pytest.mark.server, pytest.mark.timeout(180)]

# The app: queues a reply in the cache and keeps it open, the log not folded into the file.
APP = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode = WAL")
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute(
    "INSERT INTO outbox(message_id, recipients, raw, status, created_at) "
    "VALUES ('<just-queued@acme.test>', 'lina@customer.test', x'6869', 'queued', '2026-01-01T00:00:00+00:00')"
)
print("queued", flush=True)
sys.stdin.read()
"""

POINTS = ["rebuild.carried:1", "rebuild.folded:1", "rebuild.aside:1", "rebuild.aside:2", "rebuild.swapped:1"]


def _left_by_the_swap(home: Path) -> list[str]:
    return sorted(
        p.name
        for p in database_path(home).parent.iterdir()
        if ".replaced" in p.name or ".rebuild" in p.name or ".set-aside" in p.name
    )


def _outbox(home: Path) -> set[str]:
    with open_cache(home) as conn:
        return {str(r[0]) for r in conn.execute("SELECT message_id FROM outbox")}


@pytest.mark.parametrize("point", POINTS)
def test_a_power_cut_at_each_step_of_the_swap_loses_nothing(
    point: str, dovecot: Dovecot, supportinbox_home: Path
) -> None:
    append(dovecot, [make_message(subject=f"Ticket {i}") for i in range(6)])
    write_config(supportinbox_home, config_text(imap_port=dovecot.imap_port, timeout=5))
    assert run_cli(supportinbox_home, "sync", timeout=60).returncode == 0
    cache = database_path(supportinbox_home)

    app = subprocess.Popen(
        [sys.executable, "-c", APP, str(cache)],
        env=cli_env(supportinbox_home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert app.stdout is not None and app.stdout.readline() == "queued\n"
        assert Path(f"{cache}-wal").stat().st_size > 0, "the reply is not only in the log"
        killed = run_cli(
            supportinbox_home, "cache", "rebuild", "--yes", env={"SUPPORTINBOX_TEST_CRASH_AT": point}
        )
        assert killed.returncode == -signal.SIGKILL, killed.describe()
    finally:
        app.kill()  # the power cut takes the app too
        app.wait()

    started = run_cli(supportinbox_home, "sync", timeout=60)
    assert started.returncode == 0, started.describe()
    assert "Traceback" not in started.stderr, started.describe()
    assert _outbox(supportinbox_home) == {"<just-queued@acme.test>"}, started.describe()
    assert _left_by_the_swap(supportinbox_home) == [], started.describe()
    assert integrity_ok(supportinbox_home)
    assert cached_uids(supportinbox_home) == server_uids(dovecot)
    if "aside" in point:
        said = [line for line in started.stderr.splitlines() if "put back" in line]
        assert len(said) == 1 and said[0].startswith("supportinbox: put back the log of the cache "), said

    again = run_cli(supportinbox_home, "sync", timeout=60)
    assert again.returncode == 0, again.describe()
    assert not [line for line in again.stderr.splitlines() if "rebuild" in line], again.describe()
    assert _outbox(supportinbox_home) == {"<just-queued@acme.test>"}
