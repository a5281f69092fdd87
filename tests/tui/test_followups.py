"""Follow-ups with ``f``: the demo's due one is in the queue with its reason; setting one takes the
conversation out until then; on the real server a teammate's next sync brings it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Input

from supportinbox.config import load_config
from supportinbox.store.followups import list_active
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.followup import FollowUpModal
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.team import app_account_and_bob
from tests.tui.support import NOW, SIZE, demo_app, pilot_test, queue, select_subject, settle, wait_until

MID = "<tui-followup@customer.test>"
DUE = "follow-up due: you promised to check the Odoo connector"


@pilot_test
async def test_the_demo_shows_a_due_follow_up_and_f_sets_another() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Integration with our ERP")
        row = queue(app).current
        assert row is not None and row.status == "open" and row.reasons[0] == DUE
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        assert DUE in str(screen.query_one("#conversation-head").render())

        await pilot.press("f")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, FollowUpModal)
        # The time is what one types first: it has the focus, its default is replaced by typing.
        assert modal.focused is modal.query_one("#when")
        await pilot.press(*"5d")
        await settle(pilot)
        assert "Comes back Tue 1 Dec" in str(modal.query_one("#followup-when").render())
        await pilot.press("enter")  # on to what was promised
        assert modal.focused is modal.query_one("#note")
        await pilot.press(*"ask whether it works", "enter")
        await settle(pilot)
        assert app.screen is screen
        detail = app.service.conversation(row.id)
        assert detail.summary.status == "pending"  # out of the queue until then
        assert detail.summary.followup_at == (NOW + timedelta(days=5)).isoformat()
        head = str(screen.query_one("#conversation-head").render())
        assert "follow-up" in head and DUE not in head


@pilot_test
async def test_a_wrong_time_is_explained_and_escape_changes_nothing() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Integration with our ERP")
        cid = queue(app).current.id  # type: ignore[union-attr]
        await pilot.press("f")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, FollowUpModal)
        modal.query_one("#when").value = "yesterday"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is modal
        assert "is not a time ahead" in str(modal.query_one("#followup-hint").render())
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, FollowUpModal)
        assert app.service.conversation(cid).summary.reasons[0] == DUE


@pilot_test
async def test_moving_a_follow_up_keeps_what_was_promised() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")  # David Kim's follow-up is to come: his conversation is pending
        await settle(pilot)
        await select_subject(pilot, "Upgrade to Business plan")
        cid = queue(app).current.id  # type: ignore[union-attr]
        await pilot.press("f")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, FollowUpModal)
        assert modal.query_one("#note", Input).value == "confirm the upgrade went through"
        await pilot.press(*"5d", "enter", "enter")
        await settle(pilot)
        later = NOW + timedelta(days=5, minutes=1)
        (row,) = [r for r in list_active(app.service.reader, later) if r.conversation_id == cid]
        assert row.reason == "follow-up due: confirm the upgrade went through"
        assert row.due_at == (NOW + timedelta(days=5)).isoformat()


@pilot_test
async def test_remove_clears_the_follow_up() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Integration with our ERP")
        cid = queue(app).current.id  # type: ignore[union-attr]
        await pilot.press("f")
        await settle(pilot)
        await pilot.click("#remove")
        await settle(pilot)
        summary = app.service.conversation(cid).summary
        assert (summary.status, summary.followup_at) == ("pending", None)


@pytest.mark.server
@pilot_test
async def test_a_follow_up_reaches_a_teammate_at_their_next_sync(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    message = make_message(sender="Ann <ann@customer.test>", subject="Refund please", message_id=MID)
    cid, bob = app_account_and_bob(
        supportinbox_home, tmp_path, dovecot, message, MID, extra="\n[ui]\nidle = false\n"
    )
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, FollowUpModal))
        await pilot.press("enter", *"refund confirmed by finance?", "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, FollowUpModal))
        await settle(pilot)
    assert list_active(bob.db) == []
    bob.sync()
    assert [(r.conversation_id, r.reason) for r in list_active(bob.db)] == [
        (cid, "follow-up due: refund confirmed by finance?")
    ]


@pilot_test
async def test_a_note_that_looks_like_markup_stays_text() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "will be closed")
        cid = queue(app).current.id  # type: ignore[union-attr]
        await pilot.press("f")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, FollowUpModal)
        modal.query_one("#when").value = "1m"  # type: ignore[attr-defined]
        await pilot.press("enter", *"[/] [@click=app.quit]call", "enter")
        await settle(pilot)
        assert app.is_running
        later = NOW + timedelta(minutes=2)
        (row,) = [r for r in list_active(app.service.reader, later) if r.conversation_id == cid]
        assert row.reason == "follow-up due: [/] [@click=app.quit]call"
