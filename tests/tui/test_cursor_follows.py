"""The cursor stays on its conversation while mail arrives and teammates change things
(real app, real Dovecot): after a re-sort it is still on the conversation the user chose,
a conversation that leaves the view hands the cursor to a neighbour and the app says so,
and a key acts on the conversation the user saw when pressing it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.app import team_actions
from supportinbox.config import load_config
from supportinbox.store.conversations import set_status
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.inbox import InboxScreen
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.replies import setup_account
from tests.harness.team import make_team
from tests.tui.support import SIZE, demo_app, pilot_test, queue, select_subject, settle, wait_until

HOURS_AGO = {"Invoice copy": 1, "Export broken": 2, "Password reset": 3}


def _mailbox(home: Path, dovecot: Dovecot) -> dict[str, str]:
    """Three open conversations, newest first: Invoice copy, Export broken, Password reset."""
    now = datetime.now(UTC)
    raws = [
        make_message(
            sender=f"C{n} <c{n}@customer.test>",
            subject=subject,
            message_id=f"<follow-{n}@customer.test>",
            date=now - timedelta(hours=hours),
        )
        for n, (subject, hours) in enumerate(HOURS_AGO.items())
    ]
    setup = setup_account(home, dovecot, None, raws)
    ids = {
        subject: setup.conversation_of(f"<follow-{n}@customer.test>") for n, subject in enumerate(HOURS_AGO)
    }
    setup.db.close()
    return ids


async def _ready(pilot: object, app: SupportInboxApp) -> None:
    await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)  # type: ignore[arg-type]
    await wait_until(pilot, app.service.push_connected)  # type: ignore[arg-type]


@pytest.mark.server
@pilot_test
async def test_new_mail_above_the_cursor_leaves_it_on_its_conversation(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    ids = _mailbox(supportinbox_home, dovecot)
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, app)
        await select_subject(pilot, "Export broken")
        assert queue(app).position == 1
        append(dovecot, [make_message(sender="New <new@customer.test>", subject="Brand new question")])
        await wait_until(pilot, lambda: queue(app).total == 4)  # pushed, synced, re-sorted
        await pilot.pause()
        current = queue(app).current
        assert current is not None and current.id == ids["Export broken"], current
        assert queue(app).position == 2
        await pilot.press("c")
        await wait_until(
            pilot, lambda: app.service.conversation(ids["Export broken"]).summary.status == "closed"
        )
        assert app.service.conversation(ids["Invoice copy"]).summary.status == "open"


@pytest.mark.server
@pilot_test
async def test_a_conversation_closed_by_a_teammate_hands_the_cursor_to_its_neighbour(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    ids = _mailbox(supportinbox_home, dovecot)
    (bob,) = make_team(tmp_path, dovecot, None, ("bob",))
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, app)
        await select_subject(pilot, "Export broken")
        set_status(bob.db, ids["Export broken"], "closed", agent="bob")
        team_actions.push_state(bob.ctx(), ids["Export broken"])
        await wait_until(pilot, lambda: queue(app).total == 2)  # pushed: bob's keywords arrived
        await pilot.pause()
        current = queue(app).current
        assert current is not None and current.id == ids["Password reset"], current  # the one below
        said = [str(n.message) for n in app._notifications]
        assert any("“Export broken” is now closed and left Open" in text for text in said), said
        assert any("the cursor is on “Password reset”" in text for text in said), said


@pytest.mark.server
@pilot_test
async def test_a_key_acts_on_the_conversation_that_was_on_screen(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    ids = _mailbox(supportinbox_home, dovecot)
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await _ready(pilot, app)
        await select_subject(pilot, "Export broken")
        screen = app.screen
        assert isinstance(screen, InboxScreen)
        # The conversation leaves the view in the cache; the refresh runs, and a key that
        # arrives before the screen was drawn again still means what was on screen.
        with app.service.writer() as db:
            set_status(db, ids["Export broken"], "pending", agent="alice")
        screen.refresh_from_cache()
        seen = screen.current_summary()
        assert seen is not None and seen.id == ids["Export broken"]
        assert queue(app).current is not None and queue(app).current.id == ids["Password reset"]  # type: ignore[union-attr]
        await pilot.pause()  # drawn: from now on the neighbour under the cursor is the target
        shown = screen.current_summary()
        assert shown is not None and shown.id == ids["Password reset"]


@pilot_test
async def test_closing_the_conversation_oneself_moves_on_without_an_explanation() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        below = queue(app)._rows[2].id
        await pilot.press("c")
        await settle(pilot)
        current = queue(app).current
        assert current is not None and current.id == below
        said = [str(n.message) for n in app._notifications]
        assert any(text.startswith("Closed:") for text in said), said
        assert not any("left Open" in text for text in said), said


@pilot_test
async def test_a_conversation_leaving_the_queue_behind_an_open_one_is_said_without_the_cursor() -> None:
    """The queue is not in sight while another conversation is open: where its cursor went
    means nothing there, only that the conversation under it left."""
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await select_subject(pilot, "Two-factor for the whole team")
        gone = queue(app).current
        assert gone is not None
        other = next(
            s for s in app.service.queue_page("open", 0, 50) if s.id != gone.id and not s.incident_id
        )
        await app.push_screen(ConversationScreen(other.id))  # read meanwhile (found by a search, say)
        await settle(pilot)
        assert isinstance(app.screen, ConversationScreen) and app.screen.conversation_id != gone.id
        with app.service.writer() as db:
            set_status(db, gone.id, "closed", agent="bob")  # a teammate closes it
        app.refresh_views()
        await settle(pilot)
        said = [str(n.message) for n in app._notifications]
        assert any("“Two-factor for the whole team” is now closed and left Open." in t for t in said), said
        assert not any("the cursor is on" in t for t in said), said
