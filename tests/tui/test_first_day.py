"""A new user's first day, end to end: the real app on a real Dovecot and SMTP server.

Sync, open and read a conversation, reply from a template, cancel a reply, edit one in
$EDITOR, send it while the SMTP server is down, see it go out once the server is back
(exactly one message at the server, filed in Sent, the customer's message \\Answered),
then claim, note and close — and each of those reaches a teammate through the server.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot

from supportinbox.config import load_config
from supportinbox.mail import outbox as sender
from supportinbox.store import outbox as outbox_store
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.editor import ReplyEditorScreen, UndoModal
from supportinbox.tui.screens.inbox import InboxScreen
from supportinbox.tui.screens.modals import ErrorModal
from supportinbox.tui.screens.note import NoteModal
from supportinbox.tui.screens.outbox import OutboxScreen
from supportinbox.tui.screens.reply import TemplatePickerScreen
from supportinbox.tui.widgets.status_bar import StatusBar
from supportinbox.tui.widgets.thread_view import MessageBlock
from tests.harness.dovecot import Dovecot
from tests.harness.mail import client, make_message
from tests.harness.smtp import SmtpServer
from tests.harness.team import app_account_and_bob
from tests.tui.support import SIZE, allow_suspend, editor_script, pilot_test, queue, settle, wait_until

pytestmark = pytest.mark.server

LINA = "<first-day-lina@customer.test>"


def _bar(app: SupportInboxApp) -> str:
    return str(app.screen.query_one(StatusBar).render())


def _text(app: SupportInboxApp) -> str:
    return " ".join(str(w.render()) for w in app.screen.query("Static, Label"))


def _in_folder(dovecot: Dovecot, folder: str) -> list[bytes]:
    with client(dovecot) as imap:
        imap.select_folder(folder, readonly=True)
        uids = imap.search(["ALL"])
        return [bytes(d[b"BODY[]"]) for d in imap.fetch(uids, ["BODY.PEEK[]"]).values()] if uids else []


def _answered(dovecot: Dovecot, message_id: str) -> bool:
    with client(dovecot) as imap:
        imap.select_folder("INBOX", readonly=True)
        (uid,) = imap.search(["HEADER", "Message-ID", message_id.strip("<>")])
        return b"\\Answered" in imap.get_flags([uid])[uid]


async def _open_editor(pilot: Pilot[None], template: str) -> ReplyEditorScreen:
    await pilot.press("r")
    await settle(pilot)
    assert isinstance(pilot.app.screen, TemplatePickerScreen)
    await pilot.press(*template, "enter")
    await settle(pilot)
    editor = pilot.app.screen
    assert isinstance(editor, ReplyEditorScreen)
    return editor


@pilot_test
async def test_a_new_users_first_day(
    supportinbox_home: Path,
    tmp_path: Path,
    dovecot: Dovecot,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    allow_suspend(monkeypatch)
    monkeypatch.setenv(
        "EDITOR", editor_script(tmp_path, "printf 'PS: I checked your account myself.\\n' >> \"$1\"")
    )
    monkeypatch.delenv("VISUAL", raising=False)
    # The first retry comes after 2 s instead of a minute: the day is compressed, not changed.
    monkeypatch.setattr(sender, "RETRY_DELAYS", (timedelta(seconds=2),))
    lina = make_message(
        sender="Lina Haddad <lina@customer.test>",
        subject="Cannot log in",
        message_id=LINA,
        body="Hello, I cannot log in since this morning. The page says my password is wrong.",
    )
    cid, bob = app_account_and_bob(
        supportinbox_home, tmp_path, dovecot, lina, LINA, smtp=smtp_server, extra="\n[ui]\nidle = false\n"
    )
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        # Sync: the app opens on the cache and syncs in the background.
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        assert queue(app).current is not None and queue(app).current.id == cid  # type: ignore[union-attr]

        # Open and read.
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)
        thread = " ".join(str(w.render()) for w in app.screen.query(MessageBlock).first().query("Static"))
        assert "cannot log in since this morning" in thread

        # Reply from a template, then think better of it: Escape leaves an untouched reply.
        editor = await _open_editor(pilot, "login")
        assert "Hi Lina," in editor.body
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen)

        # Cancel one in its undo window: the text comes back, nothing is sent.
        editor = await _open_editor(pilot, "login")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, UndoModal)
        await pilot.press("u")
        await settle(pilot)
        assert app.screen is editor and "Hi Lina," in editor.body

        # Edit it in $EDITOR.
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert editor.body.endswith("PS: I checked your account myself.\n")

        # Send it while the SMTP server is down.
        smtp_server.stop()
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")  # send now
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        said = _text(app)
        assert "connection refused" in said and "Traceback" not in said
        assert re.search(r"tried again (today|tomorrow) \d\d:\d\d\.", said), said
        await pilot.press("enter")
        await settle(pilot)
        assert "outbox 1" in _bar(app)
        await pilot.press("O")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        assert "failed, next try" in str(app.screen.query_one("#outbox-why").render())
        await pilot.press("escape")

        # The server comes back: the app tries again by itself, and the reply goes out once.
        smtp_server.start()
        await wait_until(pilot, lambda: len(smtp_server.received) == 1)
        await wait_until(pilot, lambda: "outbox" not in _bar(app))
        sent = smtp_server.received[0].message
        assert sent["In-Reply-To"] == LINA and sent["To"] == "Lina Haddad <lina@customer.test>"
        body = sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "Hi Lina," in body and "PS: I checked your account myself." in body
        (row,) = [r for r in outbox_store.list_rows(app.service.reader.conn) if r.status == "sent"]
        assert row.filed_in_sent and row.answered_set
        assert [m for m in _in_folder(dovecot, "Sent") if sent["Message-ID"].encode() in m]
        assert _answered(dovecot, LINA)

        # Claim, note, close.
        assert isinstance(app.screen, ConversationScreen)
        await pilot.press("a")
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.assigned_to == "alice")
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NoteModal)
        await pilot.press(*"Password reset link sent; check tomorrow.", "ctrl+s")
        await wait_until(pilot, lambda: len(app.service.conversation(cid).notes) == 1)
        await pilot.press("c")
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.status == "closed")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)

    # Everything reached the server: a teammate sees the claim, the close and the note.
    bob.sync()
    assert bob.queue_row(cid) == ("alice", "closed")
    notes = [
        str(r[0]) for r in bob.db.conn.execute("SELECT body FROM notes WHERE conversation_id = ?", (cid,))
    ]
    assert notes == ["Password reset link sent; check tomorrow."]
    assert len(smtp_server.received) == 1
