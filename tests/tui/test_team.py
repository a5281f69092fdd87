"""Team actions from the app against a real Dovecot: a claim or a status change made with a
key reaches a teammate's cache at their next sync, without this app syncing again."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Label, Static

from supportinbox.app import team_actions
from supportinbox.config import load_config
from supportinbox.store import outbox as outbox_store
from supportinbox.store.outbox import OutboxStatus
from supportinbox.team.server import TeamConflict
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.editor import UndoModal
from supportinbox.tui.screens.modals import ErrorModal
from supportinbox.tui.screens.reply import TemplatePickerScreen
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.smtp import SmtpServer
from tests.harness.team import app_account_and_bob
from tests.tui.support import SIZE, pilot_test, queue, settle, sharing, wait_until

pytestmark = pytest.mark.server

MID = "<tui-claim@customer.test>"


@pilot_test
async def test_claim_key_is_shared_and_a_teammate_sees_it_after_sync(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    message = make_message(sender="Ann <ann@customer.test>", subject="Invoice wrong", message_id=MID)
    cid, bob = app_account_and_bob(
        supportinbox_home, tmp_path, dovecot, message, MID, extra="\n[ui]\nidle = false\n"
    )
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        assert queue(app).current is not None and queue(app).current.id == cid  # type: ignore[union-attr]
        await pilot.press("a")
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.assigned_to == "alice")
        await pilot.press("p")
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.status == "pending")
        await wait_until(pilot, lambda: not sharing(app))  # told the team in the background

    bob.sync()
    assert bob.queue_row(cid) == ("alice", "pending")
    # The claim is on the server: bob's own claim is refused, naming alice.
    with pytest.raises(TeamConflict, match="alice"):
        team_actions.claim(bob.ctx(), cid)


@pilot_test
async def test_replying_to_a_teammates_conversation_warns_before_writing(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    """The reply is held when sent (the collision check), but the warning comes first: in the
    template picker and in the editor, before anything is written."""
    message = make_message(sender="Ann <ann@customer.test>", subject="Invoice wrong", message_id=MID)
    cid, bob = app_account_and_bob(
        supportinbox_home, tmp_path, dovecot, message, MID, extra="\n[ui]\nidle = false\n"
    )
    team_actions.claim(bob.ctx(), cid)
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.assigned_to == "bob")
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, TemplatePickerScreen))
        await wait_until(pilot, lambda: "bob holds this conversation" in _text(app, "#preview-head"))
        # Browsing the templates redraws the preview on every key; the holder is read once.
        holding = app.service.teammate_holding
        calls: list[str] = []

        def counting(conversation_id: str) -> str | None:
            calls.append(conversation_id)
            return holding(conversation_id)

        app.service.teammate_holding = counting  # type: ignore[method-assign]
        await pilot.press("down", "down", "up", "up")
        await pilot.pause()
        assert "bob holds this conversation" in _text(app, "#preview-head")
        assert calls == []
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.id == "reply-editor")
        assert "bob holds this conversation" in _text(app, "#editor-head")
        # The undo countdown does not say "Sending": the reply will wait in the outbox.
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "To the outbox in" in _text(app, "#undo-left"))
        assert "bob holds this conversation" in _text(app, "#undo-left")
        title = str(app.screen.query_one(".dialog-title", Label).render())
        assert title == "To the outbox: the reply to Ann <ann@customer.test>"
        await pilot.press("u")


@pytest.mark.parametrize("key", ["enter", "S"])
@pilot_test
async def test_the_countdown_of_a_held_reply_is_the_one_decision(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer, key: str
) -> None:
    """Warned three times that bob holds it, Enter puts the reply in the outbox with a word
    (no further modal to dismiss) and S sends it over bob's claim."""
    message = make_message(sender="Ann <ann@customer.test>", subject="Invoice wrong", message_id=MID)
    cid, bob = app_account_and_bob(
        supportinbox_home, tmp_path, dovecot, message, MID, extra="\n[ui]\nidle = false\n", smtp=smtp_server
    )
    team_actions.claim(bob.ctx(), cid)
    app = build_app(load_config())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.assigned_to == "bob")
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, TemplatePickerScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.id == "reply-editor")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, UndoModal))
        assert "S sends it anyway" in _text(app, "#undo-left")
        await pilot.press(key)

        def said() -> list[str]:
            return [str(n.message) for n in app._notifications]

        await wait_until(pilot, lambda: any(w in " ".join(said()) for w in ("Held back", "sent")))
        await settle(pilot)
        assert not isinstance(app.screen, (ErrorModal, UndoModal)), app.screen
        (row,) = outbox_store.list_rows(app.service.reader.conn)
        if key == "enter":
            assert row.status == OutboxStatus.HELD and row.held_by == "bob"
            assert any("Held back: bob" in line for line in said()), said()
            assert smtp_server.received == []
        else:
            assert row.status == OutboxStatus.SENT
            assert len(smtp_server.received) == 1


def _text(app: SupportInboxApp, selector: str) -> str:
    widgets = app.screen.query(selector)
    return str(widgets.first(Static).render()) if widgets else ""
