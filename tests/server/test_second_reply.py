"""A second reply to a customer who has not written since our first one, over real Dovecot and
SMTP: refused without a terminal, named after the synced Sent copy, sent with --again."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from supportinbox.config import AccountConfig
from supportinbox.mail import drafts
from supportinbox.store.db import Database
from tests.harness import cliproc
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import TerminalInput, run_cli, setup_account
from tests.harness.smtp import SmtpServer

pytestmark = pytest.mark.server


def test_a_second_reply_needs_again(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [make_message(message_id="<s1@c.test>")])
    conversation = setup.conversation_of("<s1@c.test>")
    first = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert first.code == 0, first.err
    assert run_cli(capsys, "sync").code == 0  # our reply is now in the cached Sent folder

    second = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes")
    assert second.code == 11 and "add --again" in second.err
    # Seconds ago, said as every recent moment is (a slow run: the minute, today).
    assert re.search(r"\(alice replied (just now|today \d\d:\d\d), and the customer has not", second.err), (
        second
    )
    assert len(smtp_server.received) == 1

    again = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send", "--yes", "--again")
    assert again.code == 0, again.err
    assert len(smtp_server.received) == 2


def _race_after_the_check(home: Path, monkeypatch: pytest.MonkeyPatch, *other: str) -> list[cliproc.Run]:
    """Run ``supportinbox OTHER`` as another process right after this one asked whether we
    replied already: the two commands at once, in the order that lets both pass the question."""
    real = drafts.earlier_reply
    others: list[cliproc.Run] = []

    def asked(db: Database, account: AccountConfig, conversation_id: str) -> drafts.EarlierReply | None:
        found = real(db, account, conversation_id)
        if not others:
            others.append(cliproc.run_cli(home, *other, timeout=120))
        return found

    monkeypatch.setattr(drafts, "earlier_reply", asked)
    return others


def test_the_same_reply_run_twice_at_once_is_sent_once(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two cron jobs (or a script started twice) sending the same reply: the second finds the
    first in the outbox as it queues its own, and stops as a second reply does (exit 11)."""
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [make_message(message_id="<r1@c.test>")])
    conversation = setup.conversation_of("<r1@c.test>")
    command = ("reply", conversation, "-t", "login-help", "--send", "--yes")
    others = _race_after_the_check(supportinbox_home, monkeypatch, *command)

    mine = run_cli(capsys, *command)

    (other,) = others
    assert other.returncode == 0, other.stderr
    assert mine.code == 11, mine.err
    assert "not sent: alice replied " in mine.err and "add --again" in mine.err
    assert len(smtp_server.received) == 1
    statuses = [row[0] for row in setup.db.conn.execute("SELECT status FROM outbox")]
    assert statuses == ["sent"]


def test_a_scheduled_reply_run_twice_at_once_is_scheduled_once(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [make_message(message_id="<r2@c.test>")])
    conversation = setup.conversation_of("<r2@c.test>")
    command = ("reply", conversation, "-t", "login-help", "--send", "--yes", "--send-in", "2h")
    others = _race_after_the_check(supportinbox_home, monkeypatch, *command)

    mine = run_cli(capsys, *command)

    assert others[0].returncode == 0, others[0].stderr
    assert mine.code == 11 and "(scheduled" in mine.err, mine.err
    statuses = [row[0] for row in setup.db.conn.execute("SELECT status FROM outbox")]
    assert statuses == ["queued"]


@pytest.mark.parametrize(("answer", "sent"), [("n", 1), ("y", 2)])
def test_at_a_terminal_a_reply_that_came_meanwhile_is_asked_about(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    sent: int,
) -> None:
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [make_message(message_id="<r3@c.test>")])
    conversation = setup.conversation_of("<r3@c.test>")
    others = _race_after_the_check(
        supportinbox_home, monkeypatch, "reply", conversation, "-t", "login-help", "--send", "--yes"
    )
    monkeypatch.setattr(sys, "stdin", TerminalInput(f"y\n{answer}\n"))

    mine = run_cli(capsys, "reply", conversation, "-t", "login-help", "--send")

    assert others[0].returncode == 0, others[0].stderr
    assert "Note: alice replied " in mine.out and "meanwhile" in mine.out
    assert mine.code == (0 if answer == "y" else 130), mine.err
    assert len(smtp_server.received) == sent
