"""The outbox in the app, on real Dovecot and SMTP: a failed reply is tried again by itself
and goes out once; the Outbox screen retries, discards and sends held replies anyway; the
status bar follows changes made by the command line in another process."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from supportinbox.app import team_actions
from supportinbox.config import load_config
from supportinbox.mail import outbox as sender
from supportinbox.store import outbox as outbox_store
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.editor import ReplyEditorScreen
from supportinbox.tui.screens.modals import ConfirmModal, ErrorModal
from supportinbox.tui.screens.outbox import OutboxScreen
from supportinbox.tui.widgets.key_hints import KeyHints
from supportinbox.tui.widgets.status_bar import StatusBar
from tests.harness import cliproc
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import setup_account
from tests.harness.smtp import SmtpServer, swallow_answers
from tests.harness.team import Teammate, app_account_and_bob
from tests.tui.support import SIZE, demo_app, pilot_test, queue, select_subject, settle, wait_until

pytestmark = pytest.mark.server

MID = "<outbox-tui@customer.test>"


def _app(home: Path, dovecot: Dovecot, smtp: SmtpServer) -> SupportInboxApp:
    message = make_message(
        sender="Lina Haddad <lina@customer.test>", subject="Cannot log in", message_id=MID, body="Help!"
    )
    setup_account(home, dovecot, smtp, [message], extra="\n[ui]\nidle = false\n").db.close()
    return build_app(load_config())


async def _reply(pilot: Pilot[None]) -> None:
    """Reply to the conversation under the cursor with the first template, sent at once."""
    app = pilot.app
    assert isinstance(app, SupportInboxApp)
    await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
    await pilot.press("r", "enter")
    await settle(pilot)
    await pilot.press("ctrl+s")
    await settle(pilot)
    await pilot.press("enter")  # skip the undo countdown


def _modal_text(app: SupportInboxApp) -> str:
    return " ".join(str(w.render()) for w in app.screen.query("Static, Label"))


def _held_toasts(app: SupportInboxApp) -> list[str]:
    return [str(n.message) for n in app._notifications if n.title == "Held"]


def _hints(app: SupportInboxApp) -> str:
    return " ".join(str(k.render()) for k in app.screen.query_one(KeyHints).query("*"))


def _bar(app: SupportInboxApp) -> str:
    return str(app.screen.query_one(StatusBar).render())


@pilot_test
async def test_a_reply_refused_for_now_is_tried_again_by_the_app_and_goes_out_once(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sender, "RETRY_DELAYS", (timedelta(seconds=2),))
    app = _app(supportinbox_home, dovecot, smtp_server)
    smtp_server.set_refusing(True)  # 451
    async with app.run_test(size=SIZE) as pilot:
        await _reply(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        text = _modal_text(app)
        assert "451" in text and "outbox (O)" in text
        assert re.search(r"tried again (today|tomorrow) \d\d:\d\d\.", text), text
        assert "supportinbox" not in text  # keys of this app, not commands
        await pilot.press("enter")
        assert "outbox 1" in _bar(app)

        smtp_server.set_refusing(False)
        await wait_until(pilot, lambda: len(smtp_server.received) == 1)
        await wait_until(pilot, lambda: "outbox" not in _bar(app))
        (row,) = outbox_store.list_rows(app.service.reader.conn)
        assert row.status == "sent" and row.attempts == 2
        await pilot.pause(3)  # another retry time passes: nothing is sent twice
        assert len(smtp_server.received) == 1


@pilot_test
async def test_the_outbox_screen_retries_and_discards(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    app = _app(supportinbox_home, dovecot, smtp_server)
    smtp_server.set_refusing(True, permanent=True)  # 550: waits for the user
    async with app.run_test(size=SIZE) as pilot:
        await _reply(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        assert "until you try it again or discard it" in _modal_text(app)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OutboxScreen)
        assert screen.query_one(DataTable).row_count == 1
        why = str(screen.query_one("#outbox-why").render())
        assert "failed, waits for you" in why and "550" in why and "r tries again" in why
        assert "1 try at SMTP" in why
        assert "Hi Lina," in str(screen.query_one("#outbox-text").render())

        smtp_server.set_refusing(False)
        await pilot.press("r")
        await wait_until(pilot, lambda: len(smtp_server.received) == 1)
        await wait_until(pilot, lambda: screen.query_one(DataTable).row_count == 0)
        assert "The outbox is empty" in str(screen.query_one("#outbox-why").render())

        # A second reply, refused again, is dropped with d (after a question).
        smtp_server.set_refusing(True, permanent=True)
        await pilot.press("escape")
        await _reply(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await wait_until(pilot, lambda: app.service.outbox_count() == 0)
        statuses = sorted(r.status for r in outbox_store.list_rows(app.service.reader.conn))
        assert statuses == ["cancelled", "sent"]
        assert len(smtp_server.received) == 1


@pilot_test
async def test_a_maybe_delivered_reply_is_sent_again_only_after_a_question(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    message = make_message(
        sender="Lina Haddad <lina@customer.test>", subject="Cannot log in", message_id=MID, body="Help!"
    )
    extra = "\n[ui]\nidle = false\n"
    setup_account(supportinbox_home, dovecot, smtp_server, [message], extra=extra, timeout=1).db.close()
    app = build_app(load_config())
    answers = smtp_server.handler.handle_DATA
    swallow_answers(smtp_server, seconds=3)  # taken, but the verdict comes after the 1 s timeout
    async with app.run_test(size=SIZE) as pilot:
        await _reply(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        await pilot.press("enter")
        await settle(pilot)
        smtp_server.handler.handle_DATA = answers  # type: ignore[method-assign]
        await pilot.press("O")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OutboxScreen)
        why = str(screen.query_one("#outbox-why").render())
        assert "maybe delivered" in why and "the customer may get it twice" in why, why
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal) and "they would get it twice" in _modal_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert len(smtp_server.received) == 1 and app.service.outbox_count() == 1
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(smtp_server.received) == 2)
        await wait_until(pilot, lambda: app.service.outbox_count() == 0)


def _claimed_by_bob(home: Path, base: Path, dovecot: Dovecot, smtp: SmtpServer) -> tuple[str, Teammate]:
    """Ann's conversation in the app's account (alice), claimed by teammate bob; its id and bob."""
    message = make_message(sender="Ann <ann@customer.test>", subject="Invoice wrong", message_id=MID)
    cid, bob = app_account_and_bob(
        home, base, dovecot, message, MID, smtp=smtp, extra="\n[ui]\nidle = false\n"
    )
    team_actions.claim(bob.ctx(), cid)
    return cid, bob


@pilot_test
async def test_a_held_reply_is_sent_anyway_from_the_outbox(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    _claimed_by_bob(supportinbox_home, tmp_path, dovecot, smtp_server)
    app = build_app(load_config())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _reply(pilot)
        # Warned that bob holds it, the user is told in a toast that it is held, not asked again.
        await wait_until(pilot, lambda: bool(_held_toasts(app)))
        (text,) = _held_toasts(app)
        assert "bob claimed" in text and "S sends it anyway" in text and "--force" not in text
        assert not isinstance(app.screen, ErrorModal)
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        held = str(app.screen.query_one("#outbox-why").render())
        assert "held: bob" in held and "attempt" not in held and "SMTP" not in held  # never tried there
        assert "Send anyway" in _hints(app)
        await pilot.press("S")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await wait_until(pilot, lambda: len(smtp_server.received) == 1)
        await wait_until(pilot, lambda: app.service.outbox_count() == 0)


@pilot_test
async def test_the_status_bar_follows_the_command_line(
    supportinbox_home: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    app = _app(supportinbox_home, dovecot, smtp_server)
    smtp_server.set_refusing(True, permanent=True)
    async with app.run_test(size=SIZE) as pilot:
        await _reply(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
        await pilot.press("enter")
        await wait_until(pilot, lambda: "outbox 1" in _bar(app))
        (row,) = outbox_store.list_rows(app.service.reader.conn)
        discarded = await asyncio.to_thread(
            cliproc.run_cli, supportinbox_home, "outbox", "discard", str(row.id)
        )
        assert discarded.returncode == 0, discarded.describe()
        await wait_until(pilot, lambda: "outbox" not in _bar(app))


@pilot_test
async def test_the_outbox_fits_80_columns() -> None:
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice")  # a subject longer than its column
        await pilot.press("r", "enter")
        await settle(pilot)
        editor = app.screen
        assert isinstance(editor, ReplyEditorScreen)
        # Queued with a long undo window, it waits in the outbox while the test looks.
        await asyncio.to_thread(app.service.queue, editor.draft, editor.body, again=True)
        await pilot.press("escape", "O")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2  # the demo's reply scheduled for Yuki's morning, and this one
        widths = {str(key.value): column.width for key, column in table.columns.items()}
        assert sum(widths.values()) <= 80 and widths["subject"] >= 20
        subject = editor.draft.original.subject
        cells = [cell.plain for cell in table.get_row_at(1)]
        assert subject[:15] in cells[3]
        # Cut where the column ends, and visibly so.
        assert len(f"Re: {subject}") > widths["subject"] and cells[3].endswith("…")
        assert len(cells[3]) <= widths["subject"] and len(cells[2]) <= widths["to"]


@pilot_test
async def test_a_reply_held_for_a_claim_since_handed_to_us_says_r_sends_it(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    cid, bob = _claimed_by_bob(supportinbox_home, tmp_path, dovecot, smtp_server)
    app = build_app(load_config())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _reply(pilot)
        await wait_until(pilot, lambda: bool(_held_toasts(app)))
        await settle(pilot)
        assert team_actions.assign(bob.ctx(), cid, "alice").online  # bob hands it over after all
        app.action_sync()
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.assigned_to == "alice")
        await pilot.press("O")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        why = str(app.screen.query_one("#outbox-why").render())
        assert "held: bob" in why
        assert "The conversation is yours now: r sends it after asking the server." in why
        await pilot.press("r")
        await wait_until(pilot, lambda: len(smtp_server.received) == 1)
        await wait_until(pilot, lambda: app.service.outbox_count() == 0)


@pilot_test
async def test_the_outbox_refreshed_while_it_opens_does_not_stop_the_app() -> None:
    """The outbox timer may fire between the screen's push and its compose."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(OutboxScreen())  # not awaited: on the stack, not composed yet
        app.outbox_changed()
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, OutboxScreen)
        assert app.screen.query_one(DataTable).row_count >= 1  # the demo's scheduled reply


@pilot_test
async def test_send_anyway_is_offered_on_a_held_reply_only() -> None:
    """The demo's scheduled reply waits for its time: no teammate to override, no "S Send anyway"."""
    app = demo_app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        (row,) = app.service.outbox_rows()
        assert row.scheduled
        hints = _hints(app)
        assert "Send now" in hints and "Send anyway" not in hints, hints
        await pilot.press("S")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen) and not app._notifications
        assert app.service.outbox_count() == 1


@pilot_test
async def test_edit_is_offered_only_where_a_reply_can_be_edited() -> None:
    """Offered on the demo's scheduled reply; not on one leaving at once (its undo window),
    where e does nothing."""
    app = demo_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Charged twice")
        draft = app.service.draft(queue(app).current.id, app.service.template_scan().templates[0])  # type: ignore[union-attr]
        leaving = app.service.queue(draft, draft.body, again=True)
        await pilot.press("O")
        await settle(pilot)
        scheduled, at_once = app.service.outbox_rows()
        assert scheduled.scheduled and at_once.id == leaving and not at_once.scheduled
        assert "Edit" in _hints(app), _hints(app)
        await pilot.press("j")
        await settle(pilot)
        assert "Edit" not in _hints(app), _hints(app)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)  # no error, nothing opened
