"""Send later in the cache: scheduling from the command line, waiting for the time, and a
scheduled reply the customer overtook kept as a draft (no server contacted)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.domain.when import when_words
from supportinbox.mail import outbox as sender
from supportinbox.store import outbox as store
from supportinbox.store.conversations import refresh_conversations
from supportinbox.store.db import Database, open_database
from supportinbox.store.scheduled import keep_overtaken
from tests.conftest import write_config
from tests.harness.replies import run_cli
from tests.store.factories import NOW, add_message, add_raw
from tests.store.factories import OFFLINE_ACCOUNT_CONFIG as CONFIG


@pytest.fixture
def cached(supportinbox_home: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[tuple[Database, str]]:
    """A configured account with Lina's question in its cache; templates installed."""
    write_config(supportinbox_home, CONFIG)
    assert run_cli(capsys, "templates", "install").code == 0
    db = open_database(account=load_config().account()[0])
    add_message(db, message_id="<q1@customer.test>", subject="Cannot log in", body="Help", when=NOW)
    _refresh(db)
    yield db, str(db.conn.execute("SELECT conversation_id FROM messages").fetchone()[0])
    db.close()


def _refresh(db: Database) -> None:
    config = load_config()
    refresh_conversations(db, config, config.account()[1], now=NOW)


def _schedule(capsys: pytest.CaptureFixture[str], conversation: str, *flags: str) -> store.OutboxRow:
    result = run_cli(capsys, "reply", conversation, "-t", "login-help", "--yes", *flags)
    assert result.code == 0, result.err
    assert result.out.startswith("reply #1 to lina@customer.test scheduled for "), result.out
    assert "kept as a draft" in result.err and "'supportinbox outbox discard 1' cancels it" in result.err
    row = store.list_rows(open_database(account="support").conn)[0]
    assert row.scheduled
    return row


def _customer_writes(db: Database, when: datetime, *, auto: bool = False) -> None:
    head = b"Auto-Submitted: auto-replied\r\n" if auto else b""
    add_raw(
        db,
        b"From: Lina Haddad <lina@customer.test>\r\nTo: support@acme.test\r\n"
        b"Subject: Re: Cannot log in\r\nMessage-ID: <q2" + (b"a" if auto else b"") + b"@customer.test>\r\n"
        b"In-Reply-To: <q1@customer.test>\r\nReferences: <q1@customer.test>\r\n"
        + head
        + when.strftime("Date: %a, %d %b %Y %H:%M:%S +0000\r\n").encode()
        + b"\r\nNever mind, it works now.\r\n",
    )
    _refresh(db)


def test_a_scheduled_reply_waits_for_its_time_dated_then(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, conversation = cached
    before = datetime.now(UTC).replace(microsecond=0)
    row = _schedule(capsys, conversation, "--send-in", "2h")
    send_at = datetime.fromisoformat(row.send_at or "")
    assert timedelta(hours=2) <= send_at - before < timedelta(hours=2, minutes=1)
    assert row.not_before == row.send_at and row.status == "queued"
    # Dated when it leaves: the customer's client sorts it there.
    assert f"Date: {send_at:%a, %d %b %Y %H:%M:%S}" in row.raw.decode()
    listed = run_cli(capsys, "outbox")
    assert f"scheduled {when_words(send_at, ahead=True)}" in listed.out, listed.out
    # A sync before its time, and 'outbox retry' (every waiting reply), leave it alone.
    config = load_config()
    checks = sender.SendChecks(before=(), after=())  # nothing is due: no teammate check needed
    assert sender.send_due(db, "support", config.account()[1], checks=checks).outcomes == []
    retry = run_cli(capsys, "outbox", "retry")
    assert retry.out.strip() == "nothing to send", retry
    assert store.get(db.conn, row.id).status == "queued"  # type: ignore[union-attr]
    # Discarding cancels it.
    assert run_cli(capsys, "outbox", "discard", "1").code == 0
    assert store.get(db.conn, row.id).status == "cancelled"  # type: ignore[union-attr]


def test_the_customer_writing_first_keeps_it_as_a_draft(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, conversation = cached
    row = _schedule(capsys, conversation, "--send-at", "tomorrow 09:00")
    # An out-of-office answer and our own mail are not the customer writing again.
    _customer_writes(db, NOW + timedelta(minutes=5), auto=True)
    add_message(
        db,
        folder="Sent",
        message_id="<ours@acme.test>",
        in_reply_to="<q1@customer.test>",
        sender="support@acme.test",
        name="Acme Support",
        to=("lina@customer.test",),
        subject="Re: Cannot log in",
        when=NOW + timedelta(minutes=6),
    )
    _refresh(db)
    assert keep_overtaken(db) == []
    _customer_writes(db, NOW + timedelta(minutes=10))
    synced = run_cli(capsys, "outbox", "retry")  # what a sync runs after fetching
    assert "#1 not sent: Lina Haddad wrote again " in synced.err, synced
    assert "before it was sent; kept as a draft" in synced.err
    assert "'supportinbox outbox retry 1' sends it as it is" in synced.err
    kept = store.get(db.conn, row.id)
    assert kept is not None and kept.status == "draft" and not kept.scheduled
    assert sender.waiting_state(kept) == "draft: customer wrote"
    assert store.waiting_count(db.conn) == 1  # still counted: it waits for the user
    listed = run_cli(capsys, "outbox")
    assert "draft: customer wrote" in listed.out and "sends it as it is" in listed.out
    # Told once: it is a draft now, not found again.
    assert keep_overtaken(db) == []
    assert run_cli(capsys, "outbox", "discard", "1").code == 0


def test_wrong_send_times_are_refused_before_anything_is_queued(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, conversation = cached
    for flags, said in (
        (("--send-at", "someday"), "--send-at 'someday' is not a time ahead: try 09:00"),
        (("--send-in", "2 weeks"), "--send-in '2 weeks': use a positive number and a unit"),
        (("--send-at", "09:00", "--send-in", "2h"), "give --send-at or --send-in, not both"),
        (("--next-business-hour",), "needs business hours: add [accounts.support.hours] to the config"),
    ):
        result = run_cli(capsys, "reply", conversation, "-t", "login-help", "--yes", *flags)
        assert result.code != 0 and said in result.err, (flags, result)
        assert "Traceback" not in result.err
    assert store.list_rows(db.conn) == []


def test_the_queue_says_a_reply_is_scheduled_until_it_leaves_or_is_dropped(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _db, conversation = cached
    assert json.loads(run_cli(capsys, "list", "--json").out)[0]["scheduled_at"] is None
    row = _schedule(capsys, conversation, "--send-in", "2h")
    (listed,) = json.loads(run_cli(capsys, "list", "--json").out)
    assert listed["scheduled_at"] == row.send_at
    assert listed["reasons"][-1] == f"reply scheduled for {when_words(row.send_at, ahead=True)}"
    shown = json.loads(run_cli(capsys, "show", conversation, "--json").out)
    assert shown["scheduled_at"] == row.send_at
    found = json.loads(run_cli(capsys, "search", "Cannot", "--json").out)
    assert [c["scheduled_at"] for c in found] == [row.send_at]
    assert run_cli(capsys, "outbox", "discard", "1").code == 0
    (after,) = json.loads(run_cli(capsys, "list", "--json").out)
    assert after["scheduled_at"] is None and not any("scheduled" in r for r in after["reasons"])


def test_a_send_time_a_minute_away_is_waited_for(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Asked to wait a minute, the reply waits a minute (it was sent at once, as if the team's
    business hours had begun)."""
    _, conversation = cached
    before = datetime.now(UTC).replace(microsecond=0)
    row = _schedule(capsys, conversation, "--send-in", "1m")
    send_at = datetime.fromisoformat(row.send_at or "")
    assert timedelta(minutes=1) <= send_at - before < timedelta(minutes=2)


def test_a_moment_reads_the_same_in_the_reply_the_outbox_the_queue_and_the_profile(
    cached: tuple[Database, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The send time 'reply' confirms is the one 'outbox' and the queue show, in the same words;
    a report seconds old waits "just now" (not "0m") and a close seconds ago was "just now"."""
    db, conversation = cached
    scheduled = run_cli(
        capsys, "reply", conversation, "-t", "login-help", "--yes", "--send-at", "tomorrow 9:30"
    )
    assert scheduled.out == "reply #1 to lina@customer.test scheduled for tomorrow 09:30\n", scheduled
    listed = run_cli(capsys, "outbox")
    assert listed.out.splitlines()[2].startswith("#1    scheduled tomorrow 09:30  "), listed.out
    (row,) = json.loads(run_cli(capsys, "list", "--json").out)
    assert row["reasons"][-1] == "reply scheduled for tomorrow 09:30", row

    now = datetime.now(UTC)
    add_message(db, message_id="<new@b.test>", sender="ben@b.test", subject="Export fails", when=now)
    config = load_config()
    refresh_conversations(db, config, config.account()[1], now=now)
    queue = run_cli(capsys, "list", "--wide").out.splitlines()
    (fresh,) = [line for line in queue if "Export fails" in line]
    assert " just now " in fresh and " 0m " not in fresh, queue
    assert run_cli(capsys, "status", conversation, "closed").code == 0
    profile = run_cli(capsys, "customer", "lina@customer.test").out
    assert "closed by alice just now" in profile, profile
