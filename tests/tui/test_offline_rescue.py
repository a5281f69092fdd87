"""Rescuing a customer from Junk while the server cannot be reached: queued, then done by a sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportinbox.config import load_config
from supportinbox.store import pending
from supportinbox.store.db import open_database
from supportinbox.sync.engine import SyncEngine
from supportinbox.tui.factory import build_app
from supportinbox.tui.widgets.junk_list import JunkList
from tests.conftest import account_toml, write_config
from tests.harness.dovecot import Dovecot
from tests.harness.mail import append, client, make_message
from tests.harness.replies import setup_account
from tests.tui.support import SIZE, pilot_test, settle, wait_until

pytestmark = pytest.mark.server

IDLE_OFF = "\n[ui]\nidle = false\n"


@pilot_test
async def test_rescue_offline_is_queued_shown_and_done_by_the_next_sync(
    supportinbox_home: Path, dovecot: Dovecot
) -> None:
    question = make_message(sender="Lina <lina@customer.test>", subject="Invoice", message_id="<o1@c.test>")
    followup = make_message(
        sender="Lina <lina@customer.test>",
        subject="Re: Invoice",
        message_id="<o2@c.test>",
        in_reply_to="<o1@c.test>",
        references="<o1@c.test>",
    )
    setup = setup_account(supportinbox_home, dovecot, None, [question])
    append(dovecot, [followup], "Junk")
    setup.sync()
    setup.db.close()
    online = account_toml(dovecot, extra=IDLE_OFF)
    write_config(supportinbox_home, account_toml(dovecot, extra=IDLE_OFF, offline=True))

    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app.sync_status.offline))
        await pilot.press("J")
        await settle(pilot)
        junk = app.screen.query_one(JunkList)
        assert junk.current is not None and junk.current.message_id == "<o2@c.test>"
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: any(s.rescue_queued for s in app.service.junk_suspects()))
        await settle(pilot)
        assert any("the rescue is queued" in n.message for n in app._notifications)
        junk = app.screen.query_one(JunkList)
        assert "(rescue queued)" in str(junk.get_row_at(0)[2])

    with client(dovecot) as imap:
        imap.select_folder("Junk", readonly=True)
        assert len(imap.search(["ALL"])) == 1  # nothing moved while offline
    write_config(supportinbox_home, online)
    config = load_config()
    name, account = config.account()
    with open_database(account=name) as db:
        assert [op.kind for op in pending.list_pending(db.conn)] == ["move"]
    with open_database(account=name) as db:
        SyncEngine(db, name, account).run()
        assert pending.list_pending(db.conn) == []
    with client(dovecot) as imap:
        imap.select_folder("Junk", readonly=True)
        assert imap.search(["ALL"]) == []
        imap.select_folder("INBOX", readonly=True)
        flags = [set(v[b"FLAGS"]) for v in imap.fetch(imap.search(["ALL"]), ["FLAGS"]).values()]
    assert any(b"$NotJunk" in f for f in flags)
