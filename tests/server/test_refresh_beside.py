"""A large fetch has the queue sorted by a second process as the batches arrive.

The queue must come out exactly as a full rebuild makes it, whether the second process kept
up, was killed in the middle, or the fetch failed; and a failed fetch leaves no process behind.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.app import refresh_beside
from supportinbox.app import sync as app_sync
from supportinbox.app.context import AccountContext
from supportinbox.config import load_config
from supportinbox.store import conversations as cv
from supportinbox.store.db import Database, open_database
from supportinbox.sync.hooks import default_hooks
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.store.test_incremental_refresh import TABLES

pytestmark = [pytest.mark.server]

NOW = datetime.now(UTC).replace(microsecond=0)
SUBJECTS = ("PDF export is broken", "Invoice for March", "Cannot log in", "لا يعمل التطبيق", "Question")


def _mailbox(dovecot: Dovecot) -> None:
    """253 messages: threads spanning batches, an outage several customers report, Arabic,
    our replies in Sent, and Junk with a customer who wrote before."""
    inbox: list[bytes] = []
    ids: list[str] = []
    for i in range(200):
        message_id = f"<m{i}@customer.test>"
        parent = ids[i - 7] if i >= 7 and i % 3 == 0 else None
        inbox.append(
            make_message(
                sender=f"Customer {i % 60} <c{i % 60}@customer{i % 7}.test>",
                subject=("Re: " if parent else "") + SUBJECTS[i % len(SUBJECTS)],
                body="Hello, the PDF export fails with error 502 since this morning."
                if i % 11 == 0
                else f"Message {i}: could you help? Thanks",
                date=NOW - timedelta(minutes=5 * (200 - i)),
                message_id=message_id,
                in_reply_to=parent,
                references=parent,
            )
        )
        ids.append(message_id)
    sent = [
        make_message(
            sender="Acme Support <support@acme.test>",
            to=f"c{i % 60}@customer{i % 7}.test",
            subject="Re: " + SUBJECTS[i % len(SUBJECTS)],
            body="Thanks for writing, we are on it.",
            date=NOW - timedelta(minutes=5 * (200 - i) - 2),
            in_reply_to=ids[i],
            references=ids[i],
        )
        for i in range(0, 200, 9)
    ]
    junk = [
        make_message(
            sender=f"Customer {i} <c{i}@customer{i % 7}.test>"
            if i % 5 == 0
            else f"Deals <deal{i}@bulk.test>",
            subject="Question about my invoice" if i % 5 == 0 else "Cheap watches",
            date=NOW - timedelta(minutes=3 * i),
        )
        for i in range(30)
    ]
    append(dovecot, inbox)
    append(dovecot, sent, folder="Sent")
    append(dovecot, junk, folder="Junk")


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Second processes start from 20 new messages; each one started is recorded."""
    monkeypatch.setattr(refresh_beside, "START_FROM", 20)
    processes: list[subprocess.Popen[bytes]] = []
    start = refresh_beside.RefreshBeside._start

    def recorded(self: refresh_beside.RefreshBeside) -> subprocess.Popen[bytes] | None:
        process = start(self)
        if process is not None:
            processes.append(process)
        return process

    monkeypatch.setattr(refresh_beside.RefreshBeside, "_start", recorded)
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


class Stopped(Exception):
    pass


def _context(db: Database) -> AccountContext:
    config = load_config()
    name, account = config.account(None)
    return AccountContext(db, config, name, account, clock=lambda: NOW)


def _assert_as_rebuilt(db: Database, tmp_path: Path) -> None:
    """Every table the refresh writes equals a full rebuild's of the same cache."""
    copy_path = tmp_path / "rebuilt.sqlite3"
    target = sqlite3.connect(copy_path)
    db.conn.backup(target)
    target.close()
    ctx = _context(db)
    with open_database(copy_path) as full:
        cv.rebuild_conversations(full, ctx.config, ctx.account, now=NOW)
        for name, select in TABLES.items():
            ours = [tuple(r) for r in db.conn.execute(select)]
            rebuilt = [tuple(r) for r in full.conn.execute(select)]
            assert ours == rebuilt, (name, [r for r in ours if r not in rebuilt][:3])


@pytest.fixture
def ctx(dovecot: Dovecot, supportinbox_home: Path) -> Iterator[AccountContext]:
    """The mailbox on the server, fetched in batches of 10, and the account on an empty cache."""
    _mailbox(dovecot)
    write_config(supportinbox_home, account_toml(dovecot, extra="batch_size = 10"))
    with open_database(account="support") as db:
        yield _context(db)


def test_the_queue_is_sorted_beside_the_fetch_as_a_rebuild_sorts_it(
    ctx: AccountContext, started: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    db = ctx.db
    result = app_sync.fetch(ctx, hooks=default_hooks(ctx.config, ctx.account_name, ctx.account))
    assert result.new == 253

    # The second process ran to its end and sorted everything before the caller's refresh.
    assert len(started) == 1 and started[0].returncode == 0
    sorted_ = db.conn.execute("SELECT COUNT(*) FROM messages WHERE conversation_id IS NOT NULL").fetchone()[0]
    assert sorted_ == 223  # INBOX and Sent; Junk belongs to no conversation
    assert db.conn.execute("SELECT COUNT(*) FROM junk_verdicts").fetchone()[0] == 30

    app_sync.refresh_queue(ctx)
    _assert_as_rebuilt(db, tmp_path)
    assert db.conn.execute("SELECT COUNT(*) FROM incidents").fetchone()[0] >= 1


def test_a_second_process_killed_midway_leaves_the_rest_to_the_refresh(
    ctx: AccountContext, started: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    db = ctx.db

    def progress(folder: str, done: int, total: int) -> None:
        if folder == "INBOX" and done == 100 and started:
            started[0].send_signal(signal.SIGKILL)  # in the middle of a round, or between two

    app_sync.fetch(ctx, progress=progress)
    assert started[0].returncode == -signal.SIGKILL
    left = db.conn.execute("SELECT COUNT(*) FROM triage_dirty").fetchone()[0]
    assert left > 0  # what it did not do is still in the change log

    app_sync.refresh_queue(ctx)
    _assert_as_rebuilt(db, tmp_path)


def test_a_failed_fetch_stops_the_second_process(
    ctx: AccountContext, started: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    db = ctx.db

    def progress(folder: str, done: int, total: int) -> None:
        if folder == "INBOX" and done == 60:
            raise Stopped("the caller stopped")

    with pytest.raises(Stopped):
        app_sync.fetch(ctx, progress=progress)
    assert len(started) == 1 and started[0].poll() is not None  # stopped and reaped

    # What was fetched is kept; the refresh sorts it as a rebuild does.
    assert db.conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] >= 60
    app_sync.refresh_queue(ctx)
    _assert_as_rebuilt(db, tmp_path)


def test_a_small_fetch_or_one_core_starts_no_second_process(
    dovecot: Dovecot,
    supportinbox_home: Path,
    started: list[subprocess.Popen[bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    append(dovecot, [make_message(subject=f"m{i}") for i in range(19)])
    write_config(supportinbox_home, account_toml(dovecot, extra="batch_size = 10"))
    with open_database(account="support") as db:
        app_sync.fetch(_context(db))
        assert started == []  # 19 new messages, under START_FROM

        append(dovecot, [make_message(subject=f"n{i}") for i in range(30)])
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
        app_sync.fetch(_context(db))
        assert started == []  # 30 new, but one core to share
        app_sync.refresh_queue(_context(db))
        assert db.conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] == 49
