"""Editing the demo's scheduled reply from the Outbox screen (``O``, then ``e``).

The reply stays one row with one Message-ID; it never leaves while open; saved, it keeps its
time (or takes a new one); given up in any way, it is as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from supportinbox import paths
from supportinbox.config import Config
from supportinbox.mail.outbox import reply_text
from supportinbox.store import outbox as outbox_store
from supportinbox.store.outbox import OutboxRow
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.screens.modals import ChooseModal, ConfirmModal
from supportinbox.tui.screens.outbox import OutboxScreen
from supportinbox.tui.screens.outbox_edit import ScheduledEditScreen
from supportinbox.tui.screens.send_later import SendLaterModal
from supportinbox.tui.widgets.key_hints import KeyHints
from tests.tui.support import NOW, allow_suspend, editor_script, pilot_test, settle, wait_until

FIX = "Hi Yuki,\n\nscheduled reports use the workspace's time zone (Asia/Tokyo for you).\n\nAlex\n"


def _app(clock: Callable[[], datetime] = lambda: NOW) -> SupportInboxApp:
    from supportinbox.cli.tui_cmds import build_demo_app

    return build_demo_app(Config(), now=clock)


def _row(app: SupportInboxApp) -> OutboxRow:
    rows = outbox_store.list_rows(app.service.reader.conn)
    scheduled = [r for r in rows if r.send_at]
    assert len(scheduled) == 1, rows
    return scheduled[0]


def _said(app: SupportInboxApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def _open_edit(pilot: object, app: SupportInboxApp) -> ScheduledEditScreen:
    await pilot.press("O")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    assert isinstance(app.screen, OutboxScreen)
    await pilot.press("e")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, ScheduledEditScreen), screen
    return screen


@pilot_test
async def test_e_edits_the_scheduled_reply_in_place_and_it_keeps_its_time() -> None:
    app = _app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        before = _row(app)
        screen = await _open_edit(pilot, app)
        keys = " ".join(str(k.render()) for k in screen.query_one(KeyHints).query("*"))
        assert "Save" in keys and "Back" in keys, keys
        assert screen.body == reply_text(before)[1]
        assert _row(app).status == "editing"
        screen.query_one(TextArea).load_text(FIX)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen)
        after = _row(app)
        assert after.status == "queued" and after.send_at == before.send_at and after.id == before.id
        assert after.message_id == before.message_id
        assert reply_text(after)[1] == FIX
        msg, _ = reply_text(after)
        assert msg["In-Reply-To"] == reply_text(before)[0]["In-Reply-To"]
        assert any(s.startswith(f"Reply #{after.id} saved: it leaves ") for s in _said(app)), _said(app)
        assert len(outbox_store.list_rows(app.service.reader.conn)) == 1
        assert "Asia/Tokyo" in str(app.screen.query_one("#outbox-text").render())


@pilot_test
async def test_escape_leaves_it_as_it_was_and_asks_first_when_the_text_changed() -> None:
    app = _app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = _row(app)
        await _open_edit(pilot, app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen) and _row(app) == before

        screen = await _open_edit(pilot, app)
        screen.query_one(TextArea).load_text(FIX)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and _row(app).status == "editing"
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(app.screen, OutboxScreen) and _row(app) == before


@pilot_test
async def test_ctrl_t_saves_it_at_a_new_time() -> None:
    app = _app()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        before = _row(app)
        screen = await _open_edit(pilot, app)
        screen.query_one(TextArea).load_text(FIX)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, SendLaterModal)
        app.screen.query_one(Input).value = "mon 10:00"
        await pilot.press("enter")
        await settle(pilot)
        if isinstance(app.screen, SendLaterModal):  # a form the box does not take: say so
            pytest.fail(str(app.screen.query_one("#send-later-when").render()))
        after = _row(app)
        assert after.status == "queued" and after.send_at != before.send_at
        assert after.not_before == after.send_at and reply_text(after)[1] == FIX


@pilot_test
async def test_the_text_is_edited_in_the_external_editor(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    allow_suspend(monkeypatch)
    monkeypatch.setenv("EDITOR", editor_script(tmp_path, 'sed -i "s/Hi Yuki,/Hello Yuki-san,/" "$1"'))
    monkeypatch.delenv("VISUAL", raising=False)
    app = _app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await _open_edit(pilot, app)
        await pilot.press("ctrl+e")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ScheduledEditScreen) and screen.body.startswith("Hello Yuki-san,")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert reply_text(_row(app))[1].startswith("Hello Yuki-san,")


@pilot_test
async def test_its_time_coming_while_it_is_open_sends_it_once_with_the_new_text() -> None:
    now = [NOW]
    app = _app(lambda: now[0])
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        before = _row(app)
        screen = await _open_edit(pilot, app)
        screen.query_one(TextArea).load_text(FIX)
        now[0] = datetime.fromisoformat(before.send_at or "") + timedelta(minutes=5)  # the time comes
        app.outbox_changed()  # the app's timers look: nothing is due, it is being edited
        await settle(pilot)
        assert not app.service.scheduled_due() and _row(app).status == "editing"
        assert not list(paths.demo_outbox_dir().glob("*.eml"))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ChooseModal)  # its time came: now, or at another time
        await pilot.press("escape")  # back to the text, still open
        await settle(pilot)
        assert isinstance(app.screen, ScheduledEditScreen) and _row(app).status == "editing"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")  # "Now"
        await settle(pilot)
        await wait_until(pilot, lambda: _row(app).status == "sent")
        (saved,) = paths.demo_outbox_dir().glob(f"*-reply-{before.id}.eml")
        assert b"Asia/Tokyo" in saved.read_bytes()
        assert len(outbox_store.list_rows(app.service.reader.conn)) == 1


@pilot_test
async def test_the_app_closing_while_it_is_open_leaves_it_on_its_schedule() -> None:
    app = _app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        before = _row(app)
        screen = await _open_edit(pilot, app)
        screen.query_one(TextArea).load_text(FIX)
        db_path = app.service.home.db_path
        app.exit()
        await pilot.pause()
    from supportinbox.store.db import open_database

    with open_database(db_path) as db:
        after = outbox_store.get(db.conn, before.id)
    assert after == before
