"""A status, claim or note changed while a sync waits on a frozen server is in the cache and
on screen at once, and reaches the team once the server answers again (real app, real
Dovecot behind the fault proxy). The sync never holds the cache's write lock while it
waits on the network: another process can start a write transaction at any moment."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from supportinbox import paths
from supportinbox.config import load_config
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.note import NoteModal
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.faultproxy import Fault, FaultProxy
from tests.harness.mail import make_message
from tests.harness.team import app_account_and_bob
from tests.tui.support import SIZE, pilot_test, queue, sharing, wait_until

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

MID = "<frozen@customer.test>"


async def while_the_sync_hangs(pilot: Pilot[None], app: SupportInboxApp, shown: Callable[[], bool]) -> None:
    """Wait until ``shown`` holds or the hanging sync gives up (the account's timeout): it must
    hold while the sync still hangs. A change that waited for the sync would only show after
    it gave up; how many seconds the change took under the machine's load says nothing."""
    await wait_until(pilot, lambda: shown() or not app.sync_status.syncing, rounds=800)
    assert shown(), "the change did not show while the sync hung"
    assert app.sync_status.syncing, "the sync gave up before the change showed: it waited for the sync"


@pytest.fixture
def imap_proxy(dovecot: Dovecot) -> Iterator[FaultProxy]:
    with FaultProxy(dovecot.imap_port) as proxy:
        yield proxy


def _write_lock_free(db_path: Path) -> bool:
    """Another connection gets the write lock without waiting."""
    conn = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


@pilot_test
async def test_status_claim_and_note_are_instant_while_a_sync_waits_on_a_frozen_server(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot, imap_proxy: FaultProxy
) -> None:
    message = make_message(sender="Ann <ann@customer.test>", subject="Export broken", message_id=MID)
    cid, bob = app_account_and_bob(supportinbox_home, tmp_path, dovecot, message, MID)
    text = account_toml(dovecot, extra="\n[ui]\nidle = false\n").replace("timeout = 10\n", "timeout = 15\n")
    write_config(
        supportinbox_home,
        text.replace(f"imap_port = {dovecot.imap_port}\n", f"imap_port = {imap_proxy.port}\n"),
    )

    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await pilot.press("6")  # the All view: the conversation stays in it when it becomes pending
        assert queue(app).current is not None and queue(app).current.id == cid  # type: ignore[union-attr]
        db_path = paths.database_file(app.service.account_name)

        # The server freezes in the middle of the next sync (after listing its folders).
        imap_proxy.set_fault(Fault("stall", trigger=b"* LIST", seconds=60))
        await pilot.press("s")
        await wait_until(pilot, lambda: "stall s2c" in imap_proxy.stats.trips)
        assert app.sync_status.syncing

        await pilot.press("p")
        await while_the_sync_hangs(
            pilot, app, lambda: app.service.conversation(cid).summary.status == "pending"
        )
        assert queue(app).current is not None and queue(app).current.status == "pending"  # type: ignore[union-attr]
        await pilot.press("a")
        await while_the_sync_hangs(
            pilot, app, lambda: app.service.conversation(cid).summary.assigned_to == "alice"
        )
        await pilot.press("n")
        await while_the_sync_hangs(pilot, app, lambda: isinstance(app.screen, NoteModal))
        await pilot.press(*"Asked engineering")
        await pilot.press("ctrl+s")
        await while_the_sync_hangs(
            pilot, app, lambda: any("Note added" in str(n.message) for n in app._notifications)
        )
        assert app.sync_status.syncing, "the sync gave up before the changes showed: they waited for it"
        assert _write_lock_free(db_path), "the sync holds the cache's write lock while it waits on the server"

        # The server answers again: the changes queued meanwhile reach the team.
        imap_proxy.clear()
        await wait_until(pilot, lambda: not app.sync_status.syncing, rounds=400)
        await wait_until(pilot, lambda: not sharing(app), rounds=400)
        await pilot.press("s")
        await wait_until(
            pilot, lambda: not app.sync_status.syncing and not app.sync_status.offline, rounds=400
        )

    bob.sync()
    assert bob.queue_row(cid) == ("alice", "pending")
    notes = bob.db.conn.execute("SELECT author, body FROM notes WHERE conversation_id = ?", (cid,)).fetchall()
    assert [(r[0], r[1]) for r in notes] == [("alice", "Asked engineering")]
