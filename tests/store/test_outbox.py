"""The outbox in the cache: drafts from conversations, queueing, undo window, cancel, holds,
and retries (a passing failure is tried again later; a permanent or held one waits)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from supportinbox.app import outbox as outbox_use
from supportinbox.app.context import AccountContext
from supportinbox.config import AccountConfig, Config, parse_config
from supportinbox.domain.templates import install_default_templates
from supportinbox.domain.when import when_words
from supportinbox.errors import Held, NotFound, SendRefused, UserError
from supportinbox.mail import drafts
from supportinbox.mail import outbox as sender
from supportinbox.store import outbox as store
from supportinbox.store.conversations import refresh_conversations
from supportinbox.store.db import Database, migrate, open_database
from supportinbox.store.migrations import MIGRATIONS
from tests.store.factories import NOW, add_message
from tests.store.factories import OFFLINE_ACCOUNT_CONFIG as CONFIG


def _checks(*before: sender.PreSendCheck) -> sender.SendChecks:
    """Only ``before`` (no team server here)."""
    return sender.SendChecks(before=before, after=())


@pytest.fixture
def config() -> Config:
    return parse_config(CONFIG)


@pytest.fixture
def account(config: Config) -> AccountConfig:
    return config.account()[1]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "cache.sqlite3")
    yield database
    database.close()


@pytest.fixture(autouse=True)
def templates() -> None:
    install_default_templates()


def _conversation(db: Database, config: Config, account: AccountConfig) -> str:
    add_message(db, message_id="<o1@customer.test>", body="First", when=NOW - timedelta(hours=2))
    add_message(
        db,
        message_id="<o2@customer.test>",
        in_reply_to="<o1@customer.test>",
        references=("<o1@customer.test>",),
        subject="Re: Cannot log in",
        body="Second: still broken",
        when=NOW - timedelta(hours=1),
    )
    add_message(
        db,
        folder="Sent",
        message_id="<a1@acme.test>",
        in_reply_to="<o1@customer.test>",
        sender="support@acme.test",
        name="Acme Support",
        to=("lina@customer.test",),
        subject="Re: Cannot log in",
        body="We are on it",
        when=NOW - timedelta(minutes=90),
    )
    refresh_conversations(db, config, account, now=NOW)
    row = db.conn.execute("SELECT conversation_id FROM messages WHERE message_id = '<o2@customer.test>'")
    return str(row.fetchone()[0])


def test_draft_answers_the_customers_latest_message(
    db: Database, config: Config, account: AccountConfig
) -> None:
    conversation = _conversation(db, config, account)
    draft = drafts.prepare_draft(db, config, account, conversation, "need-more-information")
    assert draft.reply_to_folder == "INBOX"
    assert draft.original.message_id == "<o2@customer.test>"
    assert draft.body.startswith("Hi Lina,\n")
    assert "> Second: still broken" in draft.body
    msg = drafts.draft_message(draft, config, account)
    assert msg["In-Reply-To"] == "<o2@customer.test>"
    assert str(msg["References"]).split() == ["<o1@customer.test>", "<o2@customer.test>"]


def test_short_conversation_id_prefix_works(db: Database, config: Config, account: AccountConfig) -> None:
    conversation = _conversation(db, config, account)
    draft = drafts.prepare_draft(db, config, account, conversation[:5], "login-help")
    assert draft.conversation_id == conversation


def test_unknown_conversation_and_template_are_user_errors(
    db: Database, config: Config, account: AccountConfig
) -> None:
    conversation = _conversation(db, config, account)
    with pytest.raises(NotFound):
        drafts.prepare_draft(db, config, account, "zzzzzzzz", "login-help")
    with pytest.raises(NotFound, match="no template named 'nope'"):
        drafts.prepare_draft(db, config, account, conversation, "nope")


def test_empty_edited_body_is_refused(db: Database, config: Config, account: AccountConfig) -> None:
    draft = drafts.prepare_draft(db, config, account, _conversation(db, config, account), "login-help")
    with pytest.raises(UserError, match="empty"):
        drafts.with_body(draft, " \n\n")


def test_queued_reply_holds_the_exact_bytes_before_any_send(
    db: Database, config: Config, account: AccountConfig
) -> None:
    draft = drafts.prepare_draft(db, config, account, _conversation(db, config, account), "closing-follow-up")
    msg = drafts.draft_message(draft, config, account)
    outbox_id = drafts.queue_draft(db, draft, msg)
    row = store.get(db.conn, outbox_id)
    assert row is not None
    assert (row.status, row.attempts, row.smtp_done_at) == ("queued", 0, None)
    assert row.message_id == msg["Message-ID"]
    assert row.recipients == ("lina@customer.test",)
    assert row.template == "closing-follow-up" and row.after_status == "closed"
    assert row.reply_to_folder == "INBOX" and row.conversation_id == draft.conversation_id
    stored = message_from_bytes(row.raw, policy=policy.default)
    assert stored["Message-ID"] == msg["Message-ID"]
    assert b"\r\n" in row.raw and row.raw.isascii()


def test_undo_window_and_cancel(db: Database, config: Config, account: AccountConfig) -> None:
    draft = drafts.prepare_draft(db, config, account, _conversation(db, config, account), "login-help")
    outbox_id = drafts.queue_draft(db, draft, drafts.draft_message(draft, config, account), undo_seconds=10)
    now = datetime.now(UTC)
    assert store.due(db.conn, now, include_failed=False, ignore_delay=False) == []
    later = store.due(db.conn, now + timedelta(seconds=11), include_failed=False, ignore_delay=False)
    assert [r.id for r in later] == [outbox_id]
    assert sender.cancel(db, outbox_id) is True
    row = store.get(db.conn, outbox_id)
    assert row is not None and row.status == "cancelled"
    assert store.due(db.conn, now + timedelta(hours=1), include_failed=True, ignore_delay=True) == []
    with pytest.raises(NotFound):
        sender.cancel(db, 999)


def test_cancel_is_refused_once_sending_started(db: Database, config: Config, account: AccountConfig) -> None:
    draft = drafts.prepare_draft(db, config, account, _conversation(db, config, account), "login-help")
    outbox_id = drafts.queue_draft(db, draft, drafts.draft_message(draft, config, account))
    with db.transaction() as conn:
        assert store.claim(conn, outbox_id, from_statuses=("queued",))
        # A second claimant (another process) gets nothing.
        assert not store.claim(conn, outbox_id, from_statuses=("queued",))
    assert sender.cancel(db, outbox_id) is False
    with db.transaction() as conn:
        store.mark_smtp_done(conn, outbox_id)
        store.mark_failed(conn, outbox_id, "late error")
    row = store.get(db.conn, outbox_id)
    assert row is not None and row.status == "sending" and row.last_error is None, "SMTP success is final"


def test_pre_send_check_holds_the_reply_without_smtp(
    db: Database, config: Config, account: AccountConfig, tmp_path: Path
) -> None:
    draft = drafts.prepare_draft(db, config, account, _conversation(db, config, account), "login-help")
    outbox_id = drafts.queue_draft(db, draft, drafts.draft_message(draft, config, account))
    seen: list[int] = []

    def teammate_answered(
        db: Database, account_name: str, account: AccountConfig, row: store.OutboxRow
    ) -> None:
        seen.append(row.id)
        raise Held("not sent: bob answered", by="bob", reason="bob answered this conversation 2 minutes ago")

    # smtp_port 1 on loopback: had the check not held it, sending would fail differently.
    report = sender.send_due(db, "support", account, checks=_checks(teammate_answered))
    assert seen == [outbox_id]
    (outcome,) = report.outcomes
    assert outcome.status == "held" and outcome.held_by == "bob" and not report.ok
    assert outcome.message == "bob answered this conversation 2 minutes ago"
    row = store.get(db.conn, outbox_id)
    assert row is not None and row.status == "held" and row.attempts == 0 and row.held_by == "bob"
    assert row.last_error == "bob answered this conversation 2 minutes ago"
    assert row.next_attempt_at is None
    # Held is not failed: neither a sync nor a plain retry of every reply takes it up again.
    later = datetime.now(UTC) + timedelta(days=1)
    assert sender.send_due(db, "support", account, checks=_checks(), now=later, force=True).outcomes == []
    assert store.waiting_count(db.conn) == 1


def test_the_after_steps_run_when_a_reply_is_not_sent(
    db: Database, config: Config, account: AccountConfig
) -> None:
    draft = drafts.prepare_draft(db, config, account, _conversation(db, config, account), "login-help")
    outbox_id = drafts.queue_draft(db, draft, drafts.draft_message(draft, config, account))
    order: list[str] = []

    def first(db: Database, account_name: str, account: AccountConfig, row: store.OutboxRow) -> None:
        order.append("first")

    def hold(db: Database, account_name: str, account: AccountConfig, row: store.OutboxRow) -> None:
        order.append("hold")
        raise Held("held by policy", by="policy", reason="held by policy")

    def after(
        db: Database, account: AccountConfig, row: store.OutboxRow, imap: object, delivered: bool
    ) -> None:
        order.append(f"after #{row.id} delivered={delivered}")

    checks = sender.SendChecks(before=(first, hold), after=(after,))
    (outcome,) = sender.send_due(db, "support", account, checks=checks).outcomes
    assert outcome.status == "held"
    assert order == ["first", "hold", f"after #{outbox_id} delivered=False"]


def test_failed_send_is_kept_with_the_reason(db: Database, config: Config, account: AccountConfig) -> None:
    draft = drafts.prepare_draft(db, config, account, _conversation(db, config, account), "login-help")
    outbox_id = drafts.queue_draft(db, draft, drafts.draft_message(draft, config, account))
    (outcome,) = sender.send_due(db, "support", account, checks=_checks()).outcomes
    assert outcome.status == "failed"
    row = store.get(db.conn, outbox_id)
    assert row is not None and row.status == "failed" and row.attempts == 1
    assert "127.0.0.1:1" in (row.last_error or "")
    # Not tried again before its retry time; an explicit retry (force) takes it at once.
    assert sender.send_due(db, "support", account, checks=_checks()).outcomes == []
    assert len(sender.send_due(db, "support", account, force=True, checks=_checks()).outcomes) == 1
    row = store.get(db.conn, outbox_id)
    assert row is not None and row.attempts == 2


# -- retries: a passing failure is tried again later, a permanent or held one waits --


def _queued(db: Database, config: Config, account: AccountConfig) -> int:
    add_message(db, message_id="<r1@customer.test>", body="Help please", when=NOW - timedelta(hours=1))
    refresh_conversations(db, config, account, now=NOW)
    conversation = str(
        db.conn.execute(
            "SELECT conversation_id FROM messages WHERE message_id = '<r1@customer.test>'"
        ).fetchone()[0]
    )
    draft = drafts.prepare_draft(db, config, account, conversation, "login-help")
    return drafts.queue_draft(db, draft, drafts.draft_message(draft, config, account))


def _row(db: Database, outbox_id: int) -> store.OutboxRow:
    row = store.get(db.conn, outbox_id)
    assert row is not None
    return row


def test_a_refused_connection_is_tried_again_later_waiting_longer_each_time(
    db: Database, config: Config, account: AccountConfig
) -> None:
    outbox_id = _queued(db, config, account)
    start = datetime.now(UTC)
    # The SMTP port (1 on loopback) refuses connections, as a server that is down does.
    (outcome,) = sender.send_due(db, "support", account, checks=_checks(), now=start).outcomes
    assert outcome.status == "failed" and "connection refused" in outcome.message
    assert outcome.retry_at == start + timedelta(minutes=1)
    row = _row(db, outbox_id)
    assert (row.status, row.failures, row.attempts) == ("failed", 1, 1)
    assert row.next_attempt_at == (start + timedelta(minutes=1)).isoformat(timespec="seconds")

    # A sync before the retry time leaves it; the first sync after it tries again.
    later = start + timedelta(seconds=30)
    assert sender.send_due(db, "support", account, checks=_checks(), now=later).outcomes == []
    later = start + timedelta(minutes=1, seconds=5)
    (again,) = sender.send_due(db, "support", account, checks=_checks(), now=later).outcomes
    assert again.status == "failed" and again.retry_at == later + timedelta(minutes=2)
    assert (_row(db, outbox_id).failures, _row(db, outbox_id).attempts) == (2, 2)
    assert store.next_attempt(db.conn) == (later + timedelta(minutes=2)).isoformat(timespec="seconds")


def test_the_wait_grows_and_stays_hourly() -> None:
    waits = [sender.retry_delay(n) for n in range(1, 10)]
    assert waits == sorted(waits) and waits[0] == timedelta(minutes=1)
    assert waits[-1] == waits[-2] == timedelta(hours=1)


def test_a_permanent_failure_waits_for_the_user(db: Database, config: Config, account: AccountConfig) -> None:
    outbox_id = _queued(db, config, account)

    def refused(db: Database, account_name: str, account: AccountConfig, row: store.OutboxRow) -> None:
        raise SendRefused("SMTP server refused the message (550 no such user)")

    (outcome,) = sender.send_due(db, "support", account, checks=_checks(refused)).outcomes
    assert outcome.status == "failed" and outcome.retry_at is None
    row = _row(db, outbox_id)
    assert row.status == "failed" and row.next_attempt_at is None and row.failures == 0
    much_later = datetime.now(UTC) + timedelta(days=3)
    assert sender.send_due(db, "support", account, checks=_checks(refused), now=much_later).outcomes == []
    assert store.waiting_count(db.conn) == 1
    assert sender.waiting_state(row) == "failed, waits for you"


def test_a_check_that_cannot_reach_the_server_is_tried_again(
    db: Database, config: Config, account: AccountConfig
) -> None:
    outbox_id = _queued(db, config, account)

    def unreachable(db: Database, account_name: str, account: AccountConfig, row: store.OutboxRow) -> None:
        raise SendRefused("could not check with the server (connection refused)", temporary=True)

    (outcome,) = sender.send_due(db, "support", account, checks=_checks(unreachable)).outcomes
    assert outcome.status == "failed" and outcome.retry_at is not None
    row = _row(db, outbox_id)
    assert row.attempts == 0 and row.failures == 1 and row.next_attempt_at is not None
    assert sender.waiting_state(row).startswith("failed, next try ")


def test_a_next_try_is_shown_as_the_first_minute_it_is_due() -> None:
    # Due at 10:41:14: "10:41" would send the user to a sync that finds nothing due yet.
    due = datetime(2026, 12, 7, 10, 41, 14, tzinfo=UTC)
    now = datetime(2026, 12, 7, 10, 40, 0, tzinfo=UTC)
    shown = when_words(datetime(2026, 12, 7, 10, 42, tzinfo=UTC), now)
    assert when_words(due, now, ahead=True) == shown
    assert when_words(due.replace(second=0), now, ahead=True) == when_words(due.replace(second=0), now)
    assert when_words(due, now + timedelta(minutes=5)) == when_words(
        due.replace(second=0), now
    )  # past: as it was
    row = store.OutboxRow(
        id=1,
        message_id="<r@acme.test>",
        conversation_id="c1",
        reply_to_uid=None,
        reply_to_folder=None,
        recipients=("lina@customer.test",),
        subject="Re: x",
        raw=b"",
        template=None,
        after_status=None,
        status=store.OutboxStatus.FAILED,
        not_before=None,
        created_at=now.isoformat(timespec="seconds"),
        attempts=1,
        last_error="connection refused",
        smtp_done_at=None,
        sent_at=None,
        filed_in_sent=False,
        answered_set=False,
        next_attempt_at=due.isoformat(timespec="seconds"),
        failures=1,
    )
    assert sender.waiting_state(row, now) == f"failed, next try {shown}"


def test_an_old_outbox_gains_the_retry_columns(tmp_path: Path) -> None:
    retry_migration = next(n for n, sql in MIGRATIONS.items() if "next_attempt_at" in sql)
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for number in sorted(n for n in MIGRATIONS if n < retry_migration):
        conn.executescript(MIGRATIONS[number])
    conn.execute(f"PRAGMA user_version = {retry_migration - 1}")
    conn.execute(
        "INSERT INTO outbox (message_id, recipients, raw, status, created_at, last_error) "
        "VALUES ('<old@acme.test>', 'lina@customer.test', x'00', 'failed', '2026-11-01T10:00:00+00:00', "
        "'451 try later')"
    )
    conn.close()
    db = open_database(path)
    try:
        (row,) = store.list_rows(db.conn)
        assert (row.status, row.next_attempt_at, row.failures, row.held_by) == ("failed", None, 0, None)
        assert migrate(db.conn) == max(MIGRATIONS)
    finally:
        db.close()


def test_the_send_use_case_asks_the_team_unless_told_to_send_anyway(
    db: Database, config: Config, account: AccountConfig
) -> None:
    outbox_id = _queued(db, config, account)
    ctx = AccountContext(db, config, "support", account)
    # No IMAP server here: the teammate check cannot ask, so the reply is not sent blind.
    (checked,) = outbox_use.send(ctx, force=True).outcomes
    assert checked.status == "failed" and "whether a teammate answered first: " in checked.message
    assert checked.message.count("(") <= 1, checked.message  # one reason, not a reason in a reason
    assert _row(db, outbox_id).attempts == 0  # SMTP was never tried
    (anyway,) = outbox_use.send(ctx, anyway=True, force=True).outcomes
    assert anyway.status == "failed" and "teammate" not in anyway.message
    assert _row(db, outbox_id).attempts == 1  # straight to SMTP (port 1: refused)


def test_a_reply_whose_conversation_left_meanwhile_is_queued_without_an_error(
    db: Database, config: Config, account: AccountConfig
) -> None:
    """The customer's mail was deleted while the reply was written: it is in the outbox (the
    send then holds it), and queueing it does not report a failure, which would invite a
    second copy."""
    conversation = _conversation(db, config, account)
    draft = drafts.prepare_draft(db, config, account, conversation, "need-more-information")
    with db.transaction() as tx:
        tx.execute("DELETE FROM messages")
    refresh_conversations(db, config, account, now=NOW)
    ctx = AccountContext(db, config, "support", account, clock=lambda: NOW)
    outbox_id = outbox_use.queue(ctx, draft, drafts.draft_message(draft, config, account), again=False)
    assert [r.id for r in store.list_rows(db.conn)] == [outbox_id]
