"""A merge made in the app while the server cannot be reached: done here at once, shared
with the team by the next sync (real Dovecot)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.store.conversations import refresh_conversations
from supportinbox.store.db import open_database
from supportinbox.sync.engine import SyncEngine
from supportinbox.sync.hooks import default_hooks
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.screens.modals import ConfirmModal
from supportinbox.tui.screens.regroup import MergePickerModal
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, make_message
from tests.harness.team import app_account_and_bob
from tests.tui.support import SIZE, pilot_test, select_subject, sharing, wait_until

pytestmark = pytest.mark.server

IDLE_OFF = "\n[ui]\nidle = false\n"
FIRST, SECOND = "<upload-1@customer.test>", "<upload-2@customer.test>"


@pilot_test
async def test_a_merge_made_offline_reaches_a_teammate_after_the_next_sync(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot
) -> None:
    now = datetime.now(UTC)
    append(
        dovecot,
        [
            make_message(
                sender="Ann <ann@customer.test>",
                subject="Screenshot of the upload error",
                message_id=SECOND,
                date=now - timedelta(minutes=20),
            )
        ],
    )
    first = make_message(
        sender="Ann <ann@customer.test>",
        subject="Upload fails over 10 MB",
        message_id=FIRST,
        date=now - timedelta(minutes=30),
    )
    cid, bob = app_account_and_bob(supportinbox_home, tmp_path, dovecot, first, FIRST)
    other = bob.conversation_of(SECOND)
    assert other != cid
    online = account_toml(dovecot, extra=IDLE_OFF)
    write_config(supportinbox_home, account_toml(dovecot, extra=IDLE_OFF, offline=True))

    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app.sync_status.offline))
        await select_subject(pilot, "Upload fails over 10 MB")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationScreen))
        await pilot.press("M")
        await wait_until(pilot, lambda: isinstance(app.screen, MergePickerModal))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await wait_until(pilot, lambda: app.service.conversation(cid).summary.message_count == 2)
        await wait_until(pilot, lambda: not sharing(app))
        await pilot.pause()
        assert any("the next sync shares it" in n.message for n in app._notifications)
        # The mail the merge brought in is older news: not said as the customer writing again.
        assert not any(n.title == "New in this conversation" for n in app._notifications)

    bob.sync()
    assert bob.conversation_of(SECOND) == other  # nothing reached the server while offline
    write_config(supportinbox_home, online)
    config = load_config()
    name, account = config.account()
    with open_database(account=name) as db:
        SyncEngine(db, name, account, hooks=default_hooks(config, name, account)).run()
        refresh_conversations(db, config, account)
    bob.sync()
    assert bob.conversation_of(SECOND) == bob.conversation_of(FIRST) == cid
