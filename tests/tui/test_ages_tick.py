"""An app left open while nothing changes (offline, or a quiet day) still tells the time:
"synced 3m ago" and "waiting 2h 05m" move on with the clock on every screen, without a sync
or a change of the cache to redraw them (real Dovecot; the app's own clock moved by hand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Static

from supportinbox.config import load_config
from supportinbox.tui import app as app_module
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.widgets.status_bar import StatusBar
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.replies import setup_account
from tests.tui.support import SIZE, pilot_test, queue, wait_until

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]


class Clock:
    """The app's clock, moved by the test."""

    def __init__(self) -> None:
        self.moment = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.moment


@pilot_test
async def test_ages_move_on_with_the_clock_when_nothing_changes(
    supportinbox_home: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    start = clock.moment.replace(microsecond=0)
    old = make_message(subject="Export to CSV", date=start - timedelta(hours=2))
    setup_account(
        supportinbox_home, dovecot, None, [old], extra="\n[ui]\nidle = false\nsync_interval_seconds = 3600\n"
    ).db.close()
    monkeypatch.setattr(app_module, "CLOCK_SECONDS", 0.05)
    app = build_app(load_config(), now=clock)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)

        def bar() -> str:
            return app.screen.query_one(StatusBar).render().plain

        await wait_until(pilot, lambda: "synced just now" in bar())
        assert queue(app).get_row_at(0)[3].plain == "2h"
        clock.moment = start + timedelta(minutes=7, seconds=30)
        await wait_until(pilot, lambda: "synced 7m ago" in bar())
        await wait_until(pilot, lambda: queue(app).get_row_at(0)[3].plain == "2h 07m")

        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationScreen))

        def head() -> str:
            return str(app.screen.query_one("#conversation-head", Static).render())

        assert "waiting 2h 07m" in head(), head()
        clock.moment += timedelta(hours=2)
        await wait_until(pilot, lambda: "synced 2h 07m ago" in bar())
        await wait_until(pilot, lambda: "waiting 4h 07m" in head())


@pilot_test
async def test_a_customer_who_wrote_seconds_ago_waits_just_now_whole_at_80_columns(
    supportinbox_home: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not "0m": a wait of seconds reads "just now", as 'list' and the status line say it, and
    the narrow layout keeps room for it."""
    clock = Clock()
    fresh = make_message(subject="Export fails", date=clock.moment.replace(microsecond=0))
    setup_account(
        supportinbox_home,
        dovecot,
        None,
        [fresh],
        extra="\n[ui]\nidle = false\nsync_interval_seconds = 3600\n",
    ).db.close()
    monkeypatch.setattr(app_module, "CLOCK_SECONDS", 0.05)
    app = build_app(load_config(), now=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        table = queue(app)
        await wait_until(pilot, lambda: table.row_count == 1)
        assert table.get_row_at(0)[3].plain == "just now"
        assert table.columns["waiting"].width >= len("just now")  # whole, not "just n…"
        clock.moment += timedelta(minutes=2)
        await wait_until(pilot, lambda: table.get_row_at(0)[3].plain == "2m")
