"""Two processes on one cache: a cron ``sync`` next to a TUI-like reader/writer, and two syncs.

WAL, the busy timeout and the per-account sync lock must make this boring: the reader
never sees "database is locked", two syncs never interleave (the second waits briefly or
says in one line that a sync is running), and the cache ends exactly like the server.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.cliproc import (
    cached_uids,
    cli_env,
    config_text,
    integrity_ok,
    open_cache,
    run_cli,
    server_uids,
    write_config,
)
from tests.harness.dovecot import Dovecot
from tests.harness.faultproxy import Fault, FaultProxy
from tests.harness.mail import append, make_message

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

SYNC_BUSY_EXIT = 7
# About 10 KB/s once the first headers flow: a sync of this mailbox takes several seconds.
SLOW = Fault("drip", trigger=b"BODY[HEADER]", after=0, chunk=1024, delay=0.1)

# A stand-in for the TUI: reads the queue and writes a status over and over, on its own
# connection, for as long as the sync runs; it prints how many rounds it managed.
TUI_LIKE = textwrap.dedent(
    """
    import sys, time
    from supportinbox.config import load_config
    from supportinbox.store.db import open_database
    from supportinbox.store.conversations import list_queue, set_status
    config = load_config()
    name, account = config.account()
    db = open_database(account=name)
    rounds = 0
    deadline = time.monotonic() + float(sys.argv[1])
    while time.monotonic() < deadline:
        rows = db.conn.execute("SELECT id FROM conversations LIMIT 5").fetchall()
        db.conn.execute("SELECT count(*) FROM messages").fetchone()
        list_queue(db)
        if rows:
            set_status(db, rows[0][0], "pending" if rounds % 2 else "open", agent="alice")
        rounds += 1
    print(rounds)
    """
)


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Dovecot:
    append(dovecot, [make_message(subject=f"Question {i}", body="Hello\n" * 50) for i in range(40)])
    return dovecot


@pytest.fixture
def slow_proxy(mailbox: Dovecot) -> Iterator[FaultProxy]:
    with FaultProxy(mailbox.imap_port) as proxy:
        proxy.set_fault(SLOW)
        yield proxy


def _popen(home: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args], env=cli_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def test_two_syncs_never_interleave(
    mailbox: Dovecot, slow_proxy: FaultProxy, supportinbox_home: Path
) -> None:
    write_config(supportinbox_home, config_text(imap_port=slow_proxy.port, batch_size=5, timeout=10))
    first = _popen(supportinbox_home, "-m", "supportinbox", "sync")
    # Start the second once the first is fetching (it holds the lock by then).
    deadline = time.monotonic() + 30
    while slow_proxy.stats.bytes_s2c < 2000:
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.02)
    second = run_cli(supportinbox_home, "sync", timeout=60)
    _out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    # The second either gave up clearly while the first held the lock, or waited for it and
    # then found nothing left to fetch: it never fetched alongside the first.
    if second.returncode == 0:
        assert "up to date" in second.stdout, second.describe()
    else:
        assert second.returncode == SYNC_BUSY_EXIT, second.describe()
        assert len(second.error_lines) == 1 and "already running" in second.stderr
        assert "Traceback" not in second.stderr
    assert integrity_ok(supportinbox_home)
    assert cached_uids(supportinbox_home) == server_uids(mailbox)
    # Only one of them fetched the mailbox: no message was stored twice.
    with open_cache(supportinbox_home) as conn:
        (count,) = conn.execute("SELECT count(*) FROM messages").fetchone()
    assert count == len(server_uids(mailbox)) + len(server_uids(mailbox, "Junk")) + len(
        server_uids(mailbox, "Sent")
    )


def test_tui_like_process_and_cron_sync_share_the_cache(
    mailbox: Dovecot, slow_proxy: FaultProxy, supportinbox_home: Path
) -> None:
    write_config(supportinbox_home, config_text(imap_port=slow_proxy.port, batch_size=5, timeout=10))
    # A first sync so the reader has conversations to work on; then more mail arrives.
    slow_proxy.clear()
    assert run_cli(supportinbox_home, "sync").returncode == 0
    append(mailbox, [make_message(subject=f"Later {i}", body="More\n" * 50) for i in range(30)])
    slow_proxy.set_fault(SLOW)

    reader = _popen(supportinbox_home, "-c", TUI_LIKE, "6")
    sync = run_cli(supportinbox_home, "sync", timeout=60)
    out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err.decode()
    assert b"locked" not in err and int(out.decode().strip()) > 10
    assert sync.returncode == 0, sync.describe()
    assert integrity_ok(supportinbox_home)
    assert cached_uids(supportinbox_home) == server_uids(mailbox)
