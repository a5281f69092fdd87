"""The app's reply goes through the checks 'supportinbox reply' makes, as the reply is queued
(real Dovecot and SMTP).

The app asked "Send a second reply?" at Ctrl+S and then queued without asking again: a reply
of ours that came between the question and the queue (the CLI, a cron job) went out beside
it. And beside a reply held for a teammate, the app queued another, held too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from supportinbox.config import AccountConfig, load_config
from supportinbox.mail import drafts
from supportinbox.store import outbox as store
from supportinbox.store.db import Database
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.editor import ReplyEditorScreen, UndoModal
from supportinbox.tui.screens.modals import ConfirmModal, ErrorModal
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import run_cli, setup_account
from tests.harness.smtp import SmtpServer
from tests.harness.team import TEMPLATE, app_account_and_bob
from tests.tui.support import SIZE, pilot_test, settle, wait_until

pytestmark = pytest.mark.server

APP = "\n[ui]\nidle = false\n[replies]\nundo_seconds_tui = 1\n"


def _said(screen: object) -> str:
    return " ".join(str(w.render()) for w in screen.query("Static, Label"))  # type: ignore[attr-defined]


@pytest.mark.parametrize(("answer", "sent"), [("n", 1), ("y", 2)])
@pilot_test
async def test_a_reply_sent_between_the_question_and_the_queue_is_asked_about(
    supportinbox_home: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    answer: str,
    sent: int,
) -> None:
    setup = setup_account(
        supportinbox_home, dovecot, smtp_server, [make_message(message_id="<race@c.test>")], extra=APP
    )
    cid = setup.conversation_of("<race@c.test>")
    setup.db.close()
    real = drafts.earlier_reply
    others: list[subprocess.CompletedProcess[str]] = []

    def asked(db: Database, account: AccountConfig, conversation_id: str) -> drafts.EarlierReply | None:
        """The app's question, then 'supportinbox reply' sending the same reply at once."""
        found = real(db, account, conversation_id)
        if not others:
            others.append(
                subprocess.run(
                    [sys.executable, "-m", "supportinbox", "reply", cid, "-t", TEMPLATE, "--send", "--yes"],
                    capture_output=True,
                    text=True,
                    stdin=subprocess.DEVNULL,
                    env=os.environ,
                    timeout=120,
                    check=False,
                )
            )
        return found

    monkeypatch.setattr(drafts, "earlier_reply", asked)
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: not app.sync_status.syncing)
        await settle(pilot)
        await pilot.press("enter", "r", *TEMPLATE, "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReplyEditorScreen)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        (other,) = others
        assert other.returncode == 0, other.stderr
        said = _said(app.screen)
        assert "Send a second reply?" in said and "replied" in said and "meanwhile" in said, said
        await pilot.press(answer)
        await settle(pilot)
        if answer == "y":
            await wait_until(pilot, lambda: isinstance(app.screen, UndoModal))
            await pilot.press("enter")
            await wait_until(pilot, lambda: len(smtp_server.received) == 2)
        else:
            assert isinstance(app.screen, ReplyEditorScreen)  # the text is still there to send
        await settle(pilot)
    assert len(smtp_server.received) == sent


@pilot_test
async def test_a_reply_beside_one_held_for_a_teammate_is_not_queued(
    supportinbox_home: Path,
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mid = "<held@c.test>"
    cid, bob = app_account_and_bob(
        supportinbox_home, tmp_path, dovecot, make_message(message_id=mid), mid, extra=APP, smtp=smtp_server
    )
    assert bob.cli(capsys, "claim", cid).code == 0
    held = subprocess.run(
        [sys.executable, "-m", "supportinbox", "reply", cid, "-t", TEMPLATE, "--send", "--yes"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=os.environ,
        timeout=120,
        check=False,
    )
    assert held.returncode == 10, held.stderr
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: not app.sync_status.syncing)
        await settle(pilot)
        await pilot.press("enter", "r", *TEMPLATE, "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReplyEditorScreen)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        said = _said(app.screen)
        assert "reply #1 to this conversation is already in the outbox" in said, said
        assert "held: bob claimed conversation" in said and "send it anyway, edit it or discard it" in said
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReplyEditorScreen)  # the text is still there
        rows = store.list_rows(app.service.reader.conn, ("held", "queued", "sent"))
        assert [(row.id, row.status) for row in rows] == [(1, "held")]
    assert smtp_server.received == []


@pilot_test
async def test_the_second_reply_question_names_the_contact_form_customer(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """A form's mail sent as our own address: "Acme Support has not written since"."""
    form = make_message(
        sender="Acme Support <support@acme.test>",
        subject="New message from the contact form",
        message_id="<form-omar@acme.test>",
        body="Name: Omar Farouk\nMessage: Where is my invoice for October?",
        headers={"Reply-To": '"Farouk, Omar" <omar@example.test>'},
    )
    setup = setup_account(supportinbox_home, dovecot, smtp_server, [form], extra=APP)
    cid = setup.conversation_of("<form-omar@acme.test>")
    setup.db.close()
    first = run_cli(capsys, "reply", cid, "-t", TEMPLATE, "--send", "--yes")
    assert first.code == 0, first.err
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: not app.sync_status.syncing)
        await settle(pilot)
        await pilot.press("enter", "r", *TEMPLATE, "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReplyEditorScreen)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        said = _said(app.screen)
        assert "Farouk, Omar has not written since." in said, said
        assert "Acme Support has not written since" not in said
        await pilot.press("n")
        await settle(pilot)
    assert len(smtp_server.received) == 1
