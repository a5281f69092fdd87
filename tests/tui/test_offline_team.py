"""Status changes and notes made in the app while the server cannot be reached: kept here at
once, and shared with the team by the next sync (real Dovecot)."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.store.conversations import refresh_conversations
from supportinbox.store.db import open_database
from supportinbox.sync.engine import SyncEngine
from supportinbox.sync.hooks import default_hooks
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.modals import ErrorModal
from supportinbox.tui.screens.note import NoteModal
from supportinbox.tui.widgets.thread_view import NoteBlock
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.mail import make_message
from tests.harness.team import app_account_and_bob
from tests.tui.support import SIZE, pilot_test, queue, sharing, wait_until

pytestmark = pytest.mark.server

IDLE_OFF = "\n[ui]\nidle = false\n"

MID = "<tui-offline@customer.test>"


@pilot_test
async def test_status_and_note_made_offline_reach_a_teammate_after_the_next_sync(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    message = make_message(sender="Ann <ann@customer.test>", subject="Export broken", message_id=MID)
    cid, bob = app_account_and_bob(supportinbox_home, tmp_path, dovecot, message, MID)
    online = account_toml(dovecot, extra=IDLE_OFF)
    write_config(supportinbox_home, account_toml(dovecot, extra=IDLE_OFF, offline=True))

    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app.sync_status.offline))
        assert queue(app).current is not None and queue(app).current.id == cid  # type: ignore[union-attr]
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NoteModal))
        await pilot.press(*"Asked engineering, waiting")
        await pilot.press("ctrl+s")
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, ConversationScreen)
                and any("Asked engineering, waiting" in b.text for b in app.screen.query(NoteBlock))
            ),
        )
        await pilot.press("p")
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.status == "pending")
        await wait_until(pilot, lambda: not sharing(app))
        await pilot.pause()
        said = "Not shared with the team yet (the server is unreachable): the next sync shares it."
        assert said in [n.message for n in app._notifications]

    bob.sync()
    assert bob.queue_row(cid) == (None, "open")  # nothing reached the server while offline
    write_config(supportinbox_home, online)
    config = load_config()
    name, account = config.account()
    with open_database(account=name) as db:
        SyncEngine(db, name, account, hooks=default_hooks(config, name, account)).run()
        refresh_conversations(db, config, account)
    bob.sync()
    assert bob.queue_row(cid) == (None, "pending")
    notes = bob.db.conn.execute("SELECT author, body FROM notes WHERE conversation_id = ?", (cid,)).fetchall()
    assert [(r[0], r[1]) for r in notes] == [("alice", "Asked engineering, waiting")]


@pilot_test
async def test_a_claim_refused_by_the_login_says_how_to_fix_it_and_is_kept(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    message = make_message(sender="Ann <ann@customer.test>", subject="Export broken", message_id=MID)
    cid, bob = app_account_and_bob(supportinbox_home, tmp_path, dovecot, message, MID)
    right = account_toml(dovecot, extra=IDLE_OFF)
    write_config(supportinbox_home, right.replace("printf %s secret", "printf %s wrong"))

    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorModal))  # "Login failed"
        await pilot.press("enter")
        await wait_until(pilot, lambda: queue(app).current is not None)
        await pilot.press("a")
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.assigned_to == "alice")
        await wait_until(pilot, lambda: not sharing(app))
        await pilot.pause()
        said = [n.message for n in app._notifications if n.message.startswith("Not shared")]
        assert len(said) == 1
        assert said[0].startswith("Not shared with the team yet (IMAP login as 'support' on 127.0.0.1:")
        assert said[0].endswith("password_command of [accounts.support] prints): the next sync shares it.")

    bob.sync()
    assert bob.queue_row(cid) == (None, "open")  # kept here, not on the server
