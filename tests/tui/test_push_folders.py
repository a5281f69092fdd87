"""Notes and Junk are pushed too, on the one push connection: a teammate's note shows in
the open conversation within seconds, and mail landing in Junk is synced without a key
or the timer — by NOTIFY where the server offers it, else by a short STATUS poll."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportinbox.app import team_actions
from supportinbox.config import load_config
from supportinbox.tui.app import SupportInboxApp
from supportinbox.tui.factory import build_app
from supportinbox.tui.screens.conversation import ConversationScreen
from supportinbox.tui.widgets.thread_view import NoteBlock
from tests.conftest import account_toml, write_config
from tests.harness.courier import Courier
from tests.harness.dovecot import Dovecot, make_root
from tests.harness.faultproxy import FaultProxy
from tests.harness.mail import append, make_message
from tests.harness.team import app_account_and_bob
from tests.tui.support import SIZE, pilot_test, wait_until

pytestmark = [pytest.mark.server, pytest.mark.timeout(120)]

MID = "<pushed-note@customer.test>"
FEW_SECONDS = 200  # Pilot rounds of 0.05 s; the timer sync is 120 s away
# Dovecot's capabilities without NOTIFY: the app must poll STATUS instead.
CAPABILITIES_BUT_NOTIFY = (
    "IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT UNSELECT CHILDREN NAMESPACE "
    "UIDPLUS LIST-EXTENDED SPECIAL-USE MOVE CONDSTORE QRESYNC"
)
WITHOUT_NOTIFY = f"protocol imap {{\n  imap_capability = {CAPABILITIES_BUT_NOTIFY}\n}}\n"


@pytest.fixture(params=["IDLE + NOTIFY", "IDLE + STATUS poll"])
def push_mode(request: pytest.FixtureRequest) -> str:
    """How the app should watch the other folders on the server of the test."""
    return str(request.param)


@pytest.fixture
def server(push_mode: str) -> Iterator[Dovecot]:
    root = make_root()
    dovecot = Dovecot(root, extra_config="" if push_mode == "IDLE + NOTIFY" else WITHOUT_NOTIFY)
    try:
        yield dovecot.start()
    finally:
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)


def _junk_count(app: SupportInboxApp) -> int:
    row = app.service.reader.conn.execute(
        "SELECT COUNT(*) FROM messages m JOIN folders f ON f.id = m.folder_id WHERE f.role = 'junk'"
    ).fetchone()
    return int(row[0])


@pilot_test
async def test_a_teammates_note_and_new_junk_arrive_without_a_key(
    supportinbox_home: Path, tmp_path: Path, server: Dovecot, push_mode: str
) -> None:
    message = make_message(sender="Ann <ann@customer.test>", subject="Refund please", message_id=MID)
    cid, bob = app_account_and_bob(supportinbox_home, tmp_path, server, message, MID)
    with FaultProxy(server.imap_port) as proxy:
        text = account_toml(server).replace(
            f"imap_port = {server.imap_port}\n", f"imap_port = {proxy.port}\n"
        )
        write_config(supportinbox_home, text)
        app = build_app(load_config())
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(
                pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing
            )
            await wait_until(pilot, app.service.push_connected)
            assert app.service.push_mode() == push_mode
            assert proxy.open_connections == 1  # push for inbox, notes, Junk and Sent: one connection
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ConversationScreen))

            team_actions.add_note(bob.ctx(), cid, "Refund approved by finance")
            await wait_until(
                pilot,
                lambda: any("Refund approved by finance" in b.text for b in app.screen.query(NoteBlock)),
                rounds=FEW_SECONDS,
            )

            before = _junk_count(app)
            append(server, [make_message(sender="Spam <win@prize.test>", subject="You won")], folder="Junk")
            await wait_until(pilot, lambda: _junk_count(app) == before + 1, rounds=FEW_SECONDS)
            await wait_until(pilot, lambda: not app.sync_status.syncing)
            assert proxy.open_connections == 1


@pytest.fixture
def courier() -> Iterator[Courier]:
    root = make_root()
    server = Courier(root, keywords=True)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pilot_test
async def test_a_teammates_note_is_pushed_where_courier_keeps_our_folders(
    supportinbox_home: Path, tmp_path: Path, courier: Courier, caplog: pytest.LogCaptureFixture
) -> None:
    # Courier keeps personal folders under "INBOX.": notes live in "INBOX.Support Notes" there.
    caplog.set_level(logging.INFO, logger="supportinbox.sync.push")
    message = make_message(sender="Ann <ann@customer.test>", subject="Refund please", message_id=MID)
    cid, bob = app_account_and_bob(supportinbox_home, tmp_path, courier, message, MID)
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await wait_until(pilot, app.service.push_connected)
        watching = [r.getMessage() for r in caplog.records if "push: watching" in r.getMessage()]
        assert watching and "INBOX.Support Notes, INBOX.Support State" in watching[0], watching
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConversationScreen))

        team_actions.add_note(bob.ctx(), cid, "Refund approved by finance")
        await wait_until(
            pilot,
            lambda: any("Refund approved by finance" in b.text for b in app.screen.query(NoteBlock)),
            rounds=3 * FEW_SECONDS,  # a STATUS poll every 10 s where NOTIFY is missing
        )
