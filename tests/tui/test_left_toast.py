""" "… is now pending and left Open" says only what holds once the queue has settled.

A reload during a sync can catch a passing state: a scheduled reply goes out (pending) and
the customer's newer mail, fetched a moment later, opens the conversation again. The Left
message of that reload reaches the inbox after the sync's last reload (the table posts it,
it bubbles up to the screen, where the post-sync CacheChanged is already queued). These
tests order the steps exactly so, with no sync worker and no timing.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from supportinbox.domain.conversation import ConversationSummary
from supportinbox.errors import ConnectionFailed
from supportinbox.store.conversations import set_status
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.screens.inbox import InboxScreen
from tests.tui.support import SIZE, demo_app, pilot_test, queue, select_subject, settle

SUBJECT = "Two-factor for the whole team"


def _said(app: SupportInboxApp) -> list[str]:
    return [str(n.message) for n in app._notifications if "left" in str(n.message)]


def _status(app: SupportInboxApp, summary: ConversationSummary, status: str) -> None:
    with app.service.writer() as db:
        set_status(db, summary.id, status, agent="")


def _syncing(app: SupportInboxApp, syncing: bool) -> None:
    app.sync_status = app.sync_status.update(syncing=syncing)


async def _start(pilot: Any, app: SupportInboxApp) -> tuple[InboxScreen, ConversationSummary]:
    await settle(pilot)
    await select_subject(pilot, SUBJECT)
    inbox = app.screen
    gone = queue(app).current
    assert isinstance(inbox, InboxScreen) and gone is not None
    return inbox, gone


@pilot_test
async def test_a_conversation_back_in_the_view_after_the_sync_is_not_said_to_have_left() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        inbox, gone = await _start(pilot, app)
        _syncing(app, True)
        _status(app, gone, "pending")  # a scheduled reply went out during the sync
        inbox.refresh_from_cache()  # the sync's last reload in its course: Left posted
        _status(app, gone, "open")  # the customer's newer mail, fetched after it
        _syncing(app, False)
        app.refresh_views()  # the post-sync reload, queued at the inbox before the Left
        await settle(pilot)
        assert app.service.queue_position("open", gone.id) is not None
        assert _said(app) == [], _said(app)


@pilot_test
async def test_a_passing_state_during_a_sync_is_not_said_only_the_settled_one() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        inbox, gone = await _start(pilot, app)
        _syncing(app, True)
        _status(app, gone, "pending")
        inbox.refresh_from_cache()
        await settle(pilot)  # the Left handled while the sync still runs
        assert _said(app) == [], _said(app)
        _status(app, gone, "closed")  # a teammate's close, fetched later in the sync
        _syncing(app, False)
        app.refresh_views()
        await settle(pilot)
        now = queue(app).current
        assert now is not None
        assert _said(app) == [f"“{SUBJECT}” is now closed and left Open; the cursor is on “{now.subject}”."]


@pilot_test
async def test_what_left_during_a_sync_that_failed_is_said_when_it_fails() -> None:
    app = demo_app()
    async with app.run_test(size=SIZE) as pilot:
        inbox, gone = await _start(pilot, app)
        _syncing(app, True)
        _status(app, gone, "closed")
        inbox.refresh_from_cache()
        await settle(pilot)
        assert _said(app) == []
        app.worker_failed(SimpleNamespace(group="sync", error=ConnectionFailed("server gone")))  # type: ignore[arg-type]
        await settle(pilot)
        assert len(_said(app)) == 1 and f"“{SUBJECT}” is now closed and left Open" in _said(app)[0]
