"""Sync from the app against a real Dovecot: on start, on ``s``, and the status bar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Static

from supportinbox import paths
from supportinbox.config import load_config
from supportinbox.store.db import open_database
from supportinbox.sync.lock import account_lock
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.inbox import InboxScreen
from supportinbox.tui.screens.modals import ErrorModal
from supportinbox.tui.service import SyncOutcome
from supportinbox.tui.widgets.reason_line import ReasonLine
from supportinbox.tui.widgets.status_bar import StatusBar
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.faultproxy import Fault, FaultProxy
from tests.harness.mail import append, make_message
from tests.harness.replies import setup_account
from tests.tui.support import SIZE, pilot_test, queue, wait_until

pytestmark = pytest.mark.server


@pilot_test
async def test_sync_now_brings_new_mail_into_the_open_inbox(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    # Two hours apart: the newer one is first in the queue whatever minute the test runs in
    # (two messages of the same minute tie, and the tie-break need not favour the new one).
    first = make_message(
        sender="Ann <ann@customer.test>",
        subject="Export question",
        message_id="<s1@c.test>",
        date=datetime.now(UTC) - timedelta(hours=2),
    )
    setup = setup_account(supportinbox_home, dovecot, None, [first], extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        assert queue(app).total == 1
        assert "synced" in str(app.screen.query_one(StatusBar).render())
        append(
            dovecot,
            [make_message(sender="Bo <bo@other.test>", subject="Site is down", message_id="<s2@c.test>")],
        )
        await pilot.press("s")
        await wait_until(pilot, lambda: queue(app).total == 2 and not app.sync_status.syncing)
        # The new mail is on top; the cursor stayed on the conversation it was on.
        assert [row.subject for row in queue(app)._rows] == ["Site is down", "Export question"]
        assert queue(app).current is not None and queue(app).current.subject == "Export question"  # type: ignore[union-attr]
        assert not app.sync_status.offline


@pilot_test
async def test_an_empty_queue_during_the_first_sync_says_the_mailbox_is_coming(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    """A new account's first sync can take a while: the empty queue says it is on its way,
    not "Nothing here." as for a mailbox that has nothing."""
    append(dovecot, [make_message(subject=f"Question {i}") for i in range(3)])
    with FaultProxy(dovecot.imap_port) as proxy:
        own = f"imap_port = {dovecot.imap_port}\n"
        text = account_toml(dovecot, extra="\n[ui]\nidle = false\n")
        write_config(supportinbox_home, text.replace(own, f"imap_port = {proxy.port}\n"))
        # The first fetch hangs for two seconds, then the connection drops.
        proxy.set_fault(Fault("stall", trigger=b"BODY.PEEK[HEADER]", direction="c2s", seconds=2))
        app = build_app(load_config())
        async with app.run_test(size=SIZE) as pilot:

            def reasons() -> str:
                return app.screen.query_one(ReasonLine).content.plain

            await wait_until(pilot, lambda: app.sync_status.syncing and "first sync" in reasons())
            assert reasons().startswith("Nothing here yet"), reasons()
            # The sync failed: nothing is on its way any more, and the mailbox is not empty.
            await wait_until(pilot, lambda: not app.sync_status.syncing, rounds=2000)
            not_synced = "Nothing here yet: the mailbox has not been synced (see below why)."
            await wait_until(pilot, lambda: reasons() == not_synced)
            assert app.sync_status.last_sync is None and app.sync_status.offline


@pilot_test
async def test_idle_push_syncs_without_a_key(supportinbox_home: Path, dovecot: Dovecot) -> None:
    first = make_message(sender="Ann <ann@customer.test>", subject="Export", message_id="<i1@c.test>")
    setup = setup_account(supportinbox_home, dovecot, None, [first])
    setup.db.close()
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await wait_until(pilot, app.service.push_connected)
        second = make_message(sender="Bo <bo@other.test>", subject="Refund", message_id="<i2@c.test>")
        append(dovecot, [second])
        await wait_until(pilot, lambda: queue(app).total == 2)


@pilot_test
async def test_a_sync_held_off_by_another_process_waits_quietly_unless_asked(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    """A cron sync or a ``cache rebuild`` holds the account: the app's own syncs meet it.
    One on the timer (or at start) takes no keys with a modal; one asked with ``s`` says why."""
    setup = setup_account(supportinbox_home, dovecot, None, [make_message()], extra="\n[ui]\nidle = false\n")
    setup.db.close()
    app = build_app(load_config())
    with account_lock(app.service.account_name):  # as another process's sync would
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(
                pilot, lambda: not any(w.group == "sync" and not w.is_finished for w in app.workers)
            )
            await pilot.pause()
            assert not app.sync_status.syncing
            assert not any(isinstance(s, ErrorModal) for s in app.screen_stack)
            assert isinstance(app.screen, InboxScreen) and not app.sync_status.offline
            await pilot.press("s")
            await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))
            assert "is already running" in str(app.screen.query_one(".dialog-body", Static).render())


@pilot_test
async def test_what_a_stopped_rebuild_left_is_removed_at_start_and_said_once(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    """A rebuild killed before its swap leaves its new cache; the app's first sync removes it."""
    setup = setup_account(supportinbox_home, dovecot, None, [make_message()], extra="\n[ui]\nidle = false\n")
    setup.db.close()
    left = paths.rebuild_file("support")
    with open_database(left) as db, db.transaction() as conn:
        conn.execute("DELETE FROM outbox")  # a cache file, as a killed rebuild leaves it
    app = build_app(load_config())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        said = [(n.title, str(n.message)) for n in app._notifications]
        assert len(said) == 1 and said[0][0] == "Cache", said
        assert said[0][1].startswith(
            f"Removed the unfinished new cache a stopped 'cache rebuild' had left ({left}, "
        ), said
        assert said[0][1].endswith("); the cache in use was never touched."), said
        assert not left.exists() and queue(app).total == 1
        finished: list[SyncOutcome] = []
        original = app._sync_finished

        def noted(outcome: SyncOutcome) -> None:
            finished.append(outcome)
            original(outcome)

        app._sync_finished = noted  # type: ignore[method-assign]
        await pilot.press("s")
        await wait_until(pilot, lambda: bool(finished))
        assert finished[0].cleared == "" and len(app._notifications) == 1


def test_a_sync_within_the_last_minute_is_said_just_now() -> None:
    """The status bar said "synced 0m ago" right after every sync."""
    from datetime import UTC, datetime, timedelta

    from supportinbox.domain.when import iso
    from supportinbox.tui.widgets.status_bar import synced_when

    now = datetime(2026, 12, 7, 20, 0, 30, tzinfo=UTC)
    assert synced_when(iso(now - timedelta(seconds=20)) or "", now) == "just now"
    assert synced_when(iso(now + timedelta(seconds=5)) or "", now) == "just now"  # stamped after now
    assert synced_when(iso(now - timedelta(minutes=5)) or "", now) == "5m ago"
    assert synced_when(iso(now - timedelta(minutes=65)) or "", now) == "1h 05m ago"
