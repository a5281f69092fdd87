"""``kill -9`` at 20+ points of a sync and of a send: nothing lost, nothing done twice.

Deterministic points use ``SUPPORTINBOX_TEST_CRASH_AT=label:n`` (see supportinbox/faults.py):
between and inside batch transactions of the sync engine, after each folder, and around
SMTP and APPEND in the outbox. Time-based kills land at spread offsets of a sync slowed
down by a drip-feeding proxy. After each kill the cache passes ``PRAGMA integrity_check``,
the next run completes, and the cache holds exactly the server's messages; a reply reaches
the SMTP server once.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.cliproc import (
    cached_uids,
    cli_env,
    config_text,
    integrity_ok,
    run_cli,
    server_uids,
    write_config,
)
from tests.harness.dovecot import Dovecot, make_root
from tests.harness.faultproxy import Fault, FaultProxy
from tests.harness.mail import append, client, make_message
from tests.harness.replies import setup_account
from tests.harness.smtp import SmtpServer

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.timeout(120)]

KILLED = -signal.SIGKILL
INBOX_COUNT = 42
JUNK_COUNT = 6
SENT_COUNT = 3
BATCH = 5  # Inbox: 9 batches, Junk: 2, Sent: 1 -> 12 batch commits per full sync


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Dovecot]:
    """One read-only mailbox for every sync crash (syncing never changes the server)."""
    root = make_root()
    server = Dovecot(root)
    try:
        server.start()
        append(
            server, [make_message(subject=f"Order {i}", body=f"Line {i}\n" * 30) for i in range(INBOX_COUNT)]
        )
        append(server, [make_message(subject=f"Offer {i}") for i in range(JUNK_COUNT)], folder="Junk")
        append(server, [make_message(subject=f"Re: {i}") for i in range(SENT_COUNT)], folder="Sent")
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _assert_complete(home: Path, server: Dovecot) -> None:
    assert integrity_ok(home)
    for folder in ("INBOX", "Junk", "Sent"):
        assert cached_uids(home, folder) == server_uids(server, folder), folder


# One chain of kills on the same cache: each run dies at the next point, so every run also
# starts from the state a previous kill left behind (14 deterministic points).
SYNC_CHAIN = [
    "sync.batch_uncommitted:1",
    "sync.batch:1",
    "sync.batch:2",
    "sync.batch_uncommitted:2",
    "sync.batch:1",
    "sync.batch:1",
    "sync.batch_uncommitted:1",
    "sync.batch:2",
    "sync.batch:1",
    "sync.folder_done:1",
    "sync.batch:1",
    "sync.batch_uncommitted:1",
    "sync.batch:1",
    "sync.batch:1",
]


def _cached_total(home: Path) -> int:
    return sum(len(cached_uids(home, f)) for f in ("INBOX", "Junk", "Sent"))


def test_sync_killed_at_each_point_loses_nothing(mailbox: Dovecot, supportinbox_home: Path) -> None:
    write_config(supportinbox_home, config_text(imap_port=mailbox.imap_port, batch_size=BATCH))
    kills = 0
    previous = 0
    for point in SYNC_CHAIN:
        run = run_cli(supportinbox_home, "sync", env={"SUPPORTINBOX_TEST_CRASH_AT": point})
        assert run.returncode == KILLED, f"{point}: {run.describe()}"
        kills += 1
        assert integrity_ok(supportinbox_home), point
        total = _cached_total(supportinbox_home)
        assert total >= previous, f"{point}: messages were lost ({previous} -> {total})"
        if point == "sync.batch_uncommitted:1" and kills == 1:
            assert total == 0, "a batch killed before COMMIT must leave nothing behind"
        for folder in ("INBOX", "Junk", "Sent"):
            assert cached_uids(supportinbox_home, folder) <= server_uids(mailbox, folder)
        previous = total
    assert kills == len(SYNC_CHAIN) and previous > 0

    resumed = run_cli(supportinbox_home, "sync")
    assert resumed.returncode == 0, resumed.describe()
    _assert_complete(supportinbox_home, mailbox)
    again = run_cli(supportinbox_home, "sync")
    assert again.returncode == 0 and "up to date" in again.stdout, again.describe()


def test_sync_killed_at_spread_progress_offsets(mailbox: Dovecot, supportinbox_home: Path) -> None:
    """SIGKILL from outside while bytes flow, at four points of a slowed-down sync."""
    with FaultProxy(mailbox.imap_port) as proxy:
        write_config(supportinbox_home, config_text(imap_port=proxy.port, batch_size=BATCH, timeout=10))
        for threshold in (4_000, 9_000, 14_000, 6_000):
            proxy.set_fault(Fault("drip", trigger=b"BODY[HEADER]", after=0, chunk=1024, delay=0.01))
            start = proxy.stats.bytes_s2c
            proc = subprocess.Popen(
                [sys.executable, "-m", "supportinbox", "sync"],
                env=cli_env(supportinbox_home),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 60
            while proxy.stats.bytes_s2c - start < threshold and proc.poll() is None:
                assert time.monotonic() < deadline, "the sync never reached the kill point"
                time.sleep(0.01)
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=10) == KILLED, f"the sync finished before {threshold} bytes"
            assert integrity_ok(supportinbox_home)
        proxy.clear()
        resumed = run_cli(supportinbox_home, "sync")
    assert resumed.returncode == 0, resumed.describe()
    _assert_complete(supportinbox_home, mailbox)


def _sigint_as_from_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize(
    ("stop", "said", "code"),
    [
        (signal.SIGTERM, "supportinbox: sync stopped by SIGTERM; ", -signal.SIGTERM),
        (signal.SIGINT, "supportinbox: sync interrupted; ", 130),
    ],
    ids=["sigterm", "ctrl-c"],
)
def test_sync_stopped_says_so_and_loses_nothing(
    stop: signal.Signals, said: str, code: int, mailbox: Dovecot, supportinbox_home: Path
) -> None:
    """SIGTERM (a cron timeout) or Ctrl-C mid-sync: one line on stderr, the rest next time."""
    with FaultProxy(mailbox.imap_port) as proxy:
        write_config(supportinbox_home, config_text(imap_port=proxy.port, batch_size=BATCH, timeout=10))
        proxy.set_fault(Fault("drip", trigger=b"BODY[HEADER]", after=0, chunk=1024, delay=0.01))
        proc = subprocess.Popen(
            [sys.executable, "-m", "supportinbox", "sync"],
            env=cli_env(supportinbox_home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # As from a terminal: a suite started in the background hands its children
            # SIGINT ignored, and Ctrl-C would then do nothing.
            preexec_fn=_sigint_as_from_a_terminal,
        )
        deadline = time.monotonic() + 60
        while proxy.stats.bytes_s2c < 6_000 and proc.poll() is None:
            assert time.monotonic() < deadline, "the sync never reached the kill point"
            time.sleep(0.01)
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == code, ("the sync finished before it was stopped", err)
        assert out == b""
        assert err.decode().splitlines() == [f"{said}what it fetched is kept, the next sync goes on"]
        assert integrity_ok(supportinbox_home)
        proxy.clear()
        resumed = run_cli(supportinbox_home, "sync")
    assert resumed.returncode == 0, resumed.describe()
    _assert_complete(supportinbox_home, mailbox)


def _count_in(server: Dovecot, folder: str, message_id: str) -> int:
    with client(server) as imap:
        imap.select_folder(folder, readonly=True)
        return len(imap.search(["HEADER", "Message-ID", message_id.strip("<>")]))


@pytest.mark.parametrize("point", ["outbox.after_claim", "outbox.after_smtp_done", "outbox.after_append"])
def test_reply_killed_then_retried_reaches_customer_once(
    point: str, supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [make_message(message_id="<c1@customer.test>")]
    )
    conversation = setup.conversation_of("<c1@customer.test>")
    args = ("reply", conversation, "-t", "acknowledge-investigating", "--send", "--yes")
    killed = run_cli(supportinbox_home, *args, env={"SUPPORTINBOX_TEST_CRASH_AT": f"{point}:1"})
    assert killed.returncode == KILLED, killed.describe()
    assert integrity_ok(supportinbox_home)
    (row,) = setup.db.conn.execute("SELECT message_id, status FROM outbox").fetchall()
    message_id = str(row["message_id"])
    assert row["status"] == "sending"  # still in the outbox, never lost

    retry = run_cli(supportinbox_home, "outbox", "retry")
    assert retry.returncode == 0, retry.describe()
    delivered = [r for r in smtp_server.received if r.message["Message-ID"] == message_id]
    assert len(delivered) == 1
    assert _count_in(dovecot, "Sent", message_id) == 1
    (status,) = setup.db.conn.execute("SELECT status FROM outbox").fetchone()
    assert status == "sent"
