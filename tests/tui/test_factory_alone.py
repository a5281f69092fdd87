"""The app built by its factory alone asks the team before it sends, on real Dovecot and SMTP.

The app runs in a fresh interpreter that imports the TUI's factory and nothing of the
command line: a check that only importing some other module would switch on cannot pass
this test, whatever the rest of the suite has loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from supportinbox.app import team_actions
from tests.harness.cliproc import cli_env
from tests.harness.dovecot import Dovecot
from tests.harness.mail import client, make_message
from tests.harness.smtp import SmtpServer
from tests.harness.team import app_account_and_bob

pytestmark = pytest.mark.server

MID = "<claimed-by-bob@customer.test>"
ROOT = Path(__file__).resolve().parents[2]

# Reply to the conversation under the cursor with the first template and send it at once,
# then report the outbox and which supportinbox modules were loaded.
_APP = """
import asyncio, json, sys

from supportinbox.config import load_config
from supportinbox.store import outbox as outbox_store
from supportinbox.tui.factory import build_app
from tests.tui.support import SIZE, settle, wait_until


async def main() -> None:
    app = build_app(load_config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.sync_status.last_sync is not None and not app.sync_status.syncing)
        await pilot.press("r", "enter")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("enter")  # skip the undo countdown

        def rows() -> list[object]:
            return outbox_store.list_rows(app.service.reader.conn)

        await wait_until(pilot, lambda: any(r.status not in ("queued", "sending") for r in rows()))
        outbox = [[r.status, r.held_by, r.last_error] for r in rows()]
    loaded = sorted(m for m in sys.modules if m.startswith("supportinbox."))
    print(json.dumps({"outbox": outbox, "loaded": loaded}))


asyncio.run(main())
"""


def test_the_app_from_its_factory_holds_a_reply_to_a_conversation_a_teammate_claimed(
    supportinbox_home: Path, tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer
) -> None:
    message = make_message(sender="Ann <ann@customer.test>", subject="Invoice wrong", message_id=MID)
    cid, bob = app_account_and_bob(
        supportinbox_home, tmp_path, dovecot, message, MID, smtp=smtp_server, extra="\n[ui]\nidle = false\n"
    )
    team_actions.claim(bob.ctx(), cid)

    run = subprocess.run(
        [sys.executable, "-c", _APP],
        cwd=ROOT,
        env=cli_env(supportinbox_home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])

    assert not [m for m in report["loaded"] if m.startswith("supportinbox.cli")], report["loaded"]
    ((status, held_by, why),) = report["outbox"]
    assert (status, held_by) == ("held", "bob"), report
    assert f"bob claimed conversation {cid}" in why
    assert smtp_server.received == []
    with client(dovecot) as imap:
        imap.select_folder("Sent", readonly=True)
        assert imap.search(["ALL"]) == []
