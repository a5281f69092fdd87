"""Network faults during ``supportinbox sync``: one clear line, no hang, nothing lost.

A fault proxy sits between the CLI and a real Dovecot. Each fault breaks one run; the
next run (through a healthy proxy) must end with exactly the server's UID set in the
cache, keep what the broken run had already stored, and leave an intact database.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.harness.cliproc import (
    assert_one_clear_line,
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
from tests.harness.faultproxy import Fault, FaultProxy
from tests.harness.mail import append, make_message

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

INBOX_COUNT = 45
JUNK_COUNT = 5


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Dovecot:
    append(
        dovecot,
        [make_message(subject=f"Ticket {i}", body=f"Message number {i}\n" * 40) for i in range(INBOX_COUNT)],
    )
    append(dovecot, [make_message(subject=f"Spam {i}") for i in range(JUNK_COUNT)], folder="Junk")
    return dovecot


@pytest.fixture
def proxy(mailbox: Dovecot) -> Iterator[FaultProxy]:
    with FaultProxy(mailbox.imap_port) as p:
        yield p


def _row_ids(home: Path) -> dict[tuple[int, int], int]:
    with open_cache(home) as conn:
        rows = conn.execute("SELECT folder_id, uid, id FROM messages").fetchall()
    return {(int(r["folder_id"]), int(r["uid"])): int(r["id"]) for r in rows}


def _assert_in_step(home: Path, server: Dovecot) -> None:
    assert integrity_ok(home)
    for folder in ("INBOX", "Junk"):
        assert cached_uids(home, folder) == server_uids(server, folder), folder


FAULTS = {
    "greeting-then-close": Fault("greeting"),
    "cut-mid-fetch": Fault("cut", trigger=b"BODY[HEADER]", after=9000),
    "cut-late-fetch": Fault("cut", trigger=b"BODY[HEADER]", after=40000),
    "cut-client-command": Fault("cut", direction="c2s", trigger=b"UID FETCH", after=4),
    "stall-mid-fetch": Fault("stall", trigger=b"BODY[HEADER]", after=12000, seconds=30),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_sync_fault_then_resume(
    name: str, mailbox: Dovecot, proxy: FaultProxy, supportinbox_home: Path
) -> None:
    write_config(supportinbox_home, config_text(imap_port=proxy.port, timeout=3, batch_size=10))
    proxy.set_fault(FAULTS[name])
    broken = run_cli(supportinbox_home, "sync", timeout=45)
    assert_one_clear_line(broken)
    assert proxy.stats.trips, "the fault never fired: the test would prove nothing"
    partial = _row_ids(supportinbox_home) if (supportinbox_home / "data").exists() else {}
    if name.startswith("cut-late"):
        assert 0 < len(partial) < INBOX_COUNT + JUNK_COUNT, "the cut should land between batches"

    proxy.clear()
    healed = run_cli(supportinbox_home, "sync", timeout=45)
    assert healed.returncode == 0, healed.describe()
    _assert_in_step(supportinbox_home, mailbox)
    after = _row_ids(supportinbox_home)
    # Resumed, not restarted: what the broken run stored is kept as it was.
    assert {k: after.get(k) for k in partial} == partial


def test_drip_feed_still_completes(mailbox: Dovecot, proxy: FaultProxy, supportinbox_home: Path) -> None:
    write_config(supportinbox_home, config_text(imap_port=proxy.port, timeout=3, batch_size=10))
    proxy.set_fault(Fault("drip", trigger=b"BODY[HEADER]", after=0, chunk=4096, delay=0.002))
    run = run_cli(supportinbox_home, "sync", timeout=90)
    assert run.returncode == 0, run.describe()
    _assert_in_step(supportinbox_home, mailbox)


def test_changes_between_interrupted_runs(
    mailbox: Dovecot, proxy: FaultProxy, supportinbox_home: Path
) -> None:
    """Mail arriving and being deleted between a broken and a healed run still ends in step."""
    write_config(supportinbox_home, config_text(imap_port=proxy.port, timeout=3, batch_size=10))
    proxy.set_fault(Fault("cut", trigger=b"BODY[HEADER]", after=15000))
    assert_one_clear_line(run_cli(supportinbox_home, "sync", timeout=45))
    from tests.harness.mail import client

    with client(mailbox) as imap:
        imap.select_folder("INBOX")
        imap.delete_messages([1, 2, 3, 40])
        imap.expunge()
    append(mailbox, [make_message(subject=f"Late {i}") for i in range(7)])
    proxy.clear()
    assert run_cli(supportinbox_home, "sync", timeout=45).returncode == 0
    _assert_in_step(supportinbox_home, mailbox)
    assert len(cached_uids(supportinbox_home)) == INBOX_COUNT - 4 + 7


def _local_only(home: Path) -> dict[str, Any]:
    with open_cache(home) as conn:
        return {
            "outbox": [tuple(r) for r in conn.execute("SELECT message_id, raw, status FROM outbox")],
            "pending_ops": [tuple(r) for r in conn.execute("SELECT kind, payload FROM pending_ops")],
            "conversation_state": [
                tuple(r) for r in conn.execute("SELECT conversation_id, status FROM conversation_state")
            ],
        }


def _synced_with_local_only(home: Path, port: int) -> tuple[dict[tuple[int, int], int], dict[str, Any], str]:
    """A synced cache with an unsent reply, a queued change and a manual status; what it holds."""
    write_config(home, config_text(imap_port=port, timeout=3, batch_size=10))
    assert run_cli(home, "sync", timeout=45).returncode == 0
    with open_cache(home) as conn:
        key = conn.execute("SELECT id FROM conversations ORDER BY id LIMIT 1").fetchone()[0]
        conn.execute(
            "INSERT INTO outbox(message_id, recipients, raw, status, created_at) VALUES (?, ?, ?, ?, ?)",
            ("<r1@acme.test>", "lina@customer.test", b"raw reply", "queued", "2026-01-01T00:00:00+00:00"),
        )
        conn.execute(
            "INSERT INTO pending_ops(kind, payload, created_at) VALUES (?, ?, ?)",
            (
                "add_flags",
                '{"folder": "INBOX", "uid": 1, "flags": ["\\\\Flagged"]}',
                "2026-01-01T00:00:00+00:00",
            ),
        )
        conn.execute(
            "INSERT OR REPLACE INTO conversation_state(conversation_id, status, updated_at) VALUES (?, ?, ?)",
            (key, "pending", "2026-01-01T00:00:00+00:00"),
        )
        conn.commit()
    rows = _row_ids(home)
    local = _local_only(home)
    queue = run_cli(home, "list", "--status", "all", "--json")
    assert queue.returncode == 0, queue.describe()
    return rows, local, queue.stdout


def test_rebuild_cut_mid_fetch_leaves_the_old_cache_whole(
    mailbox: Dovecot, proxy: FaultProxy, supportinbox_home: Path
) -> None:
    """A rebuild that loses the server halfway keeps the cache it started from, as it was."""
    rows, local, queue = _synced_with_local_only(supportinbox_home, proxy.port)
    proxy.set_fault(Fault("cut", trigger=b"BODY[HEADER]", after=9000))
    broken = run_cli(supportinbox_home, "cache", "rebuild", "--yes", timeout=45)
    assert_one_clear_line(broken)
    assert proxy.stats.trips, "the fault never fired: the test would prove nothing"

    assert integrity_ok(supportinbox_home)
    assert _row_ids(supportinbox_home) == rows
    assert _local_only(supportinbox_home) == local
    assert run_cli(supportinbox_home, "list", "--status", "all", "--json").stdout == queue
    # The cause, then the rebuild's own end: not a sync's "what was synced so far is kept".
    assert broken.stderr.startswith("supportinbox: the connection to the IMAP server"), broken.describe()
    assert broken.stderr.rstrip().endswith(
        "; the rebuild stopped: the old cache is untouched and still in use, and nothing the rebuild "
        "fetched was kept; run 'supportinbox cache rebuild' again"
    ), broken.describe()
    assert "kept;" not in broken.stderr.split("; the rebuild stopped")[0], broken.describe()
    assert [p.name for p in database_path(supportinbox_home).parent.glob("*.rebuild*")] == []

    proxy.clear()
    healed = run_cli(supportinbox_home, "cache", "rebuild", "--yes", timeout=45)
    assert healed.returncode == 0, healed.describe()
    assert "kept 1 unsent reply in the outbox, 1 change waiting for the server" in healed.stdout
    _assert_in_step(supportinbox_home, mailbox)
    after = _local_only(supportinbox_home)
    assert after["outbox"] == local["outbox"] and after["pending_ops"] == []  # flushed
    assert after["conversation_state"] == local["conversation_state"]


def _sigint_as_from_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize(
    ("stop", "said", "code"),
    [
        (signal.SIGINT, "supportinbox: cache rebuild interrupted; ", 130),
        (signal.SIGTERM, "supportinbox: cache rebuild stopped by SIGTERM; ", -signal.SIGTERM),
    ],
    ids=["ctrl-c", "sigterm"],
)
def test_rebuild_stopped_mid_fetch_says_the_old_cache_is_in_use(
    stop: signal.Signals, said: str, code: int, mailbox: Dovecot, proxy: FaultProxy, supportinbox_home: Path
) -> None:
    """Ctrl-C or a kill while the server is slow: one line that tells what is left."""
    rows, local, _queue = _synced_with_local_only(supportinbox_home, proxy.port)
    proxy.set_fault(Fault("stall", trigger=b"BODY[HEADER]", after=9000, seconds=60))
    proc = subprocess.Popen(
        [sys.executable, "-m", "supportinbox", "cache", "rebuild", "--yes"],
        env=cli_env(supportinbox_home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # As from a terminal: a suite started in the background (a CI job, `cmd &` in a
        # script) hands its children SIGINT ignored, and Ctrl-C would then do nothing.
        preexec_fn=_sigint_as_from_a_terminal,
    )
    deadline = time.monotonic() + 45
    while not proxy.stats.trips and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proxy.stats.trips, "the fetch never reached the stall"
    proc.send_signal(stop)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == code, (out, err)
    assert err.decode() == (
        f"{said}the old cache is untouched and still in use, and nothing the rebuild fetched was kept\n"
    )
    assert _row_ids(supportinbox_home) == rows
    assert _local_only(supportinbox_home) == local
    assert [p.name for p in database_path(supportinbox_home).parent.glob("*.rebuild*")] == []


@pytest.mark.parametrize(
    "point", ["db.committed:1", "sync.batch:2", "sync.folder_done:1", "sync.folder_done:2"]
)
def test_rebuild_killed_leaves_the_old_cache_whole(
    point: str, mailbox: Dovecot, proxy: FaultProxy, supportinbox_home: Path
) -> None:
    """``kill -9`` anywhere in a rebuild's fetch: the old cache stays in use, as it was."""
    rows, local, queue = _synced_with_local_only(supportinbox_home, proxy.port)

    killed = run_cli(
        supportinbox_home, "cache", "rebuild", "--yes", env={"SUPPORTINBOX_TEST_CRASH_AT": point}
    )
    assert killed.returncode == -signal.SIGKILL, killed.describe()
    assert integrity_ok(supportinbox_home)
    assert _row_ids(supportinbox_home) == rows
    assert _local_only(supportinbox_home) == local
    assert run_cli(supportinbox_home, "list", "--status", "all", "--json").stdout == queue

    healed = run_cli(supportinbox_home, "cache", "rebuild", "--yes", timeout=45)
    assert healed.returncode == 0, healed.describe()
    _assert_in_step(supportinbox_home, mailbox)
    assert _local_only(supportinbox_home)["outbox"] == local["outbox"]


def _leftover(home: Path) -> list[str]:
    return sorted(p.name for p in database_path(home).parent.glob("*.rebuild*"))


@pytest.mark.parametrize("next_start", ["sync", "cache rebuild"])
def test_what_a_killed_rebuild_left_is_removed_at_the_next_start_which_says_so(
    next_start: str, mailbox: Dovecot, proxy: FaultProxy, supportinbox_home: Path
) -> None:
    """``kill -9`` leaves the unfinished new cache; the next sync or rebuild removes it in one line."""
    rows, local, queue = _synced_with_local_only(supportinbox_home, proxy.port)
    killed = run_cli(
        supportinbox_home, "cache", "rebuild", "--yes", env={"SUPPORTINBOX_TEST_CRASH_AT": "sync.batch:2"}
    )
    assert killed.returncode == -signal.SIGKILL, killed.describe()
    assert _leftover(supportinbox_home), "the kill left nothing: the test would prove nothing"
    fresh = database_path(supportinbox_home).with_name(database_path(supportinbox_home).name + ".rebuild")

    started = run_cli(supportinbox_home, *next_start.split(), *(["--yes"] if "rebuild" in next_start else []))
    assert started.returncode == 0, started.describe()
    said = [line for line in started.stderr.splitlines() if "unfinished" in line]
    assert len(said) == 1, started.describe()
    assert said[0].startswith(
        f"supportinbox: removed the unfinished new cache a stopped 'cache rebuild' had left ({fresh}, "
    ), said
    assert said[0].endswith("); the cache in use was never touched"), said
    assert _leftover(supportinbox_home) == []
    assert integrity_ok(supportinbox_home)
    _assert_in_step(supportinbox_home, mailbox)
    after = _local_only(supportinbox_home)
    # The sync tries to send the queued reply (it fails: no SMTP server here); kept either way.
    assert [r[:2] for r in after["outbox"]] == [r[:2] for r in local["outbox"]]
    assert after["conversation_state"] == local["conversation_state"]
    if next_start == "sync":
        assert {k: v for k, v in _row_ids(supportinbox_home).items() if k in rows} == rows
        assert run_cli(supportinbox_home, "list", "--status", "all", "--json").stdout == queue
    again = run_cli(supportinbox_home, "sync")
    assert again.returncode == 0 and "unfinished" not in again.stderr, again.describe()
